package dev.engram.cloud.controlplane;

import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The audit log's hash chain, one per tenant. Entry {@code n} (from 1) carries the hash of entry {@code n-1} (64 zeros
 * for the first) and its own hash: SHA-256, in hex, of the previous hash, a newline, and the entry's canonical
 * encoding — the JSON array {@code [seq, tenant_id, at, actor, action, target, ip, user_agent, request_id, outcome,
 * details]} with {@code at} in RFC 3339 UTC with milliseconds and the details' keys sorted at every level. Each tenant
 * also records the position and hash of its last entry, so removing entries at the end shows as well. Both control
 * planes store exactly these fields; this class is the one place that computes and checks them.
 */
public final class AuditChain {

  public static final String GENESIS = "0".repeat(64);

  private AuditChain() {}

  /** The hash of {@code entry} at position {@code seq}, written at {@code at} (whole milliseconds), after {@code prev}. */
  public static String hash(String prev, long seq, Instant at, AuditEntry entry) {
    JsonArray canonical = new JsonArray().add(seq).add(entry.tenantId()).add(Timestamps.format(at))
        .add(entry.actor()).add(entry.action()).add(entry.target()).add(entry.ip()).add(entry.userAgent())
        .add(entry.requestId()).add(entry.outcome()).add(sorted(entry.details()));
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(prev.getBytes(StandardCharsets.US_ASCII));
      sha.update((byte) '\n');
      return HexFormat.of().formatHex(sha.digest(canonical.encode().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Object sorted(Object value) {
    if (value instanceof JsonObject o) {
      Map<String, Object> keys = new TreeMap<>();
      o.forEach(e -> keys.put(e.getKey(), sorted(e.getValue())));
      return new JsonObject(new java.util.LinkedHashMap<>(keys));
    }
    if (value instanceof JsonArray a) {
      List<Object> items = new ArrayList<>();
      a.forEach(item -> items.add(sorted(item)));
      return new JsonArray(items);
    }
    return value;
  }

  /** The first broken link of a tenant's chain: the entry (its id; the last entry for a missing tail) and why. */
  public record Break(String tenantId, long entryId, Long seq, String reason) {

    public String describe() {
      return "tenant " + tenantId + ": entry " + entryId + (seq == null ? "" : " (position " + seq + ")") + ": "
          + reason;
    }
  }

  /**
   * Walks one tenant's entries, oldest first, fed a page at a time, up to the head the tenant's record named when the
   * walk began (entries appended since are left for the next walk); {@link #finish} compares the end with that head.
   * Entries without a position (written before the chain existed) may only come first.
   */
  public static final class Walk {

    private final String tenantId;
    private final long headSeq;
    private final String headHash;
    private String prev = GENESIS;
    private long seq;
    private long lastId;
    private long entries;
    private boolean chained;
    private Break broken;

    public Walk(String tenantId, long headSeq, String headHash) {
      this.tenantId = tenantId;
      this.headSeq = headSeq;
      this.headHash = headHash;
    }

    /**
     * Checks the next entry; false once there is no point going on: the chain is broken (the break is kept), or the
     * entry lies past the head.
     */
    public boolean next(AuditRecord r) {
      if (broken != null) return false;
      if (r.seq() != null && r.seq() > headSeq && r.seq() == seq + 1) return false;
      entries++;
      lastId = r.id();
      if (r.seq() == null && r.hash() == null) {
        if (chained) broken = new Break(tenantId, r.id(), null, "an entry outside the chain follows chained entries");
        return broken == null;
      }
      chained = true;
      if (r.seq() == null || r.seq() != seq + 1) {
        broken = new Break(tenantId, r.id(), r.seq(), "expected position " + (seq + 1)
            + ": an entry before it was removed, or its position was altered");
      } else if (!prev.equals(r.prevHash())) {
        broken = new Break(tenantId, r.id(), r.seq(), "its previous-entry hash does not match the entry before it,"
            + " which was altered or removed");
      } else if (r.hash() == null || !r.hash().equals(hash(prev, r.seq(), r.at(), r.entry()))) {
        broken = new Break(tenantId, r.id(), r.seq(), "its hash does not match its contents: it was altered");
      } else {
        prev = r.hash();
        seq = r.seq();
      }
      return broken == null;
    }

    /** The first break, if any, once every entry up to the head was fed. */
    public Break finish() {
      if (broken != null) return broken;
      if (headSeq != seq || (headSeq > 0 && !prev.equals(headHash))) {
        return new Break(tenantId, lastId, seq, "the chain ends at position " + seq + " but the tenant's record names "
            + "position " + headSeq + ": entries at its end were removed or altered");
      }
      return null;
    }

    public long entries() {
      return entries;
    }
  }
}
