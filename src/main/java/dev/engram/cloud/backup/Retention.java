package dev.engram.cloud.backup;

import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which snapshots stay: the newest of each of the last {@code daily} days that have one, and the newest of each of
 * the last {@code weekly} ISO weeks (UTC); the newest snapshot always. Log segments that only precede every kept
 * snapshot of their generation go too. A snapshot directory left without a manifest (a crash while writing it) is
 * removed once it is an hour old.
 */
final class Retention {

  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSSX");

  private final BackupTarget target;
  private final int daily;
  private final int weekly;

  Retention(BackupTarget target, int daily, int weekly) {
    this.target = target;
    this.daily = daily;
    this.weekly = weekly;
  }

  void apply(Instant now) throws IOException {
    Map<String, List<String>> byPrefix = new TreeMap<>(); // snapshots/ dir of an owner -> its keys
    Map<String, List<String>> segments = new HashMap<>();  // tenants/<id>/log/<generation>/ -> segment keys
    for (String key : target.list("")) {
      String[] parts = key.split("/");
      int at = indexOf(parts, "snapshots");
      if (at >= 0 && parts.length == at + 3) {
        String dir = String.join("/", java.util.Arrays.copyOf(parts, at + 1)) + "/";
        byPrefix.computeIfAbsent(dir, d -> new ArrayList<>()).add(key);
      } else if (parts.length == 5 && parts[0].equals("tenants") && parts[2].equals("log")
          && key.endsWith(".seg") && !parts[4].equals(ChangeLogs.LIVE)) {
        segments.computeIfAbsent("tenants/" + parts[1] + "/log/" + parts[3] + "/", d -> new ArrayList<>()).add(key);
      }
    }
    for (Map.Entry<String, List<String>> owner : byPrefix.entrySet()) {
      pruneOwner(owner.getKey(), owner.getValue(), segments, now);
    }
  }

  private void pruneOwner(String dir, List<String> keys, Map<String, List<String>> segments, Instant now)
      throws IOException {
    Map<String, List<String>> bySnapshot = new TreeMap<>();
    for (String key : keys) {
      String id = key.substring(dir.length(), key.lastIndexOf('/'));
      bySnapshot.computeIfAbsent(id, i -> new ArrayList<>()).add(key);
    }
    List<String> complete = new ArrayList<>();
    for (Map.Entry<String, List<String>> s : bySnapshot.entrySet()) {
      boolean hasManifest = s.getValue().stream().anyMatch(k -> k.endsWith("/" + Snapshots.MANIFEST));
      if (hasManifest) {
        complete.add(s.getKey());
      } else if (taken(s.getKey()).isBefore(now.minusSeconds(3600))) {
        for (String k : s.getValue()) target.delete(k);
      }
    }
    if (complete.isEmpty()) return;
    complete.sort(null); // ids start with their UTC stamp
    Set<String> keep = new HashSet<>();
    keep.add(complete.get(complete.size() - 1));
    Map<LocalDate, String> days = new TreeMap<>(java.util.Comparator.reverseOrder());
    Map<Long, String> weeks = new TreeMap<>(java.util.Comparator.reverseOrder());
    for (String id : complete) { // oldest first, so each day and week ends up with its newest
      LocalDate day = taken(id).atZone(ZoneOffset.UTC).toLocalDate();
      days.put(day, id);
      weeks.put(day.get(IsoFields.WEEK_BASED_YEAR) * 100L + day.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), id);
    }
    days.values().stream().limit(daily).forEach(keep::add);
    weeks.values().stream().limit(weekly).forEach(keep::add);
    Map<String, Long> oldestKeptSeq = new HashMap<>();
    for (String id : complete) {
      String[] parts = id.split("-");
      if (keep.contains(id)) {
        if (parts.length >= 3) oldestKeptSeq.merge(parts[1], Long.parseLong(parts[2]), Math::min);
        continue;
      }
      target.delete(dir + id + "/" + Snapshots.MANIFEST); // first: a snapshot without its manifest is never used
      for (String k : bySnapshot.get(id)) target.delete(k);
    }
    if (!dir.startsWith("tenants/")) return;
    String logDir = dir.substring(0, dir.length() - "snapshots/".length()) + "log/";
    for (Map.Entry<String, Long> gen : oldestKeptSeq.entrySet()) {
      for (String segment : segments.getOrDefault(logDir + gen.getKey() + "/", List.of())) {
        String name = segment.substring(segment.lastIndexOf('/') + 1);
        long last = Long.parseLong(name.substring(name.indexOf('-') + 1, name.indexOf('.')));
        if (last <= gen.getValue()) target.delete(segment);
      }
    }
  }

  private static int indexOf(String[] parts, String name) {
    for (int i = 0; i < parts.length; i++) if (parts[i].equals(name)) return i;
    return -1;
  }

  private static Instant taken(String id) {
    try {
      return STAMP.parse(id.split("-")[0], Instant::from);
    } catch (RuntimeException e) {
      return Instant.EPOCH;
    }
  }
}
