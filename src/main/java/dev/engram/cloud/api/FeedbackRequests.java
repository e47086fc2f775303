package dev.engram.cloud.api;

import dev.engram.cloud.engine.EngineMessages.FeedbackStats;
import dev.engram.cloud.engine.EngineMessages.RecordFeedback;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/** Marks on search results ({@code recordFeedback}, {@code feedbackStats}): the engine commands. */
public final class FeedbackRequests {

  /** Engram's signal names, the SDKs' included, mapped to useful (true) or not. */
  private static final Set<String> USEFUL = Set.of("useful", "helpful");

  public RecordFeedback record(JsonObject in) {
    return new RecordFeedback(in.getLong("memory_id"), in.getString("query"), USEFUL.contains(in.getString("signal")));
  }

  public FeedbackStats stats(JsonObject in) {
    return new FeedbackStats(Inputs.workspace(in, "workspace", null), null);
  }
}
