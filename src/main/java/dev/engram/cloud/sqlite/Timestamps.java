package dev.engram.cloud.sqlite;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Fixed-width UTC timestamps, so that stored text compares in time order, and the one place where timestamps sent
 * by users are parsed. Only the years 0000 to 9999 (UTC) keep the width, so nothing outside them is accepted.
 */
public final class Timestamps {

  /** {@code uuuu}, the proleptic year: {@code yyyy} would print year 0 as 0001 (1 BC). */
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final Instant MIN = Instant.parse("0000-01-01T00:00:00Z");
  /** The first instant after the range. */
  private static final Instant END = Instant.parse("+10000-01-01T00:00:00Z");
  /** Longer text is not a timestamp; also bounds the parser's work. */
  private static final int MAX_CHARS = 64;
  private static final String RANGE = "must be within the years 0000 to 9999 (UTC)";

  private Timestamps() {}

  /**
   * Text that is not a timestamp a user may send. The message is the rule it broke, worded to follow a field name:
   * "Field 'since' " + message + ".".
   */
  public static final class InvalidTimestamp extends IllegalArgumentException {
    InvalidTimestamp(String rule) {
      super(rule, null);
    }
  }

  public static String format(Instant instant) {
    if (instant.isBefore(MIN) || !instant.isBefore(END)) {
      throw new IllegalArgumentException("timestamp outside the years 0000-9999: " + instant);
    }
    return FORMAT.format(instant);
  }

  /**
   * A timestamp this class wrote ({@link #format}), read back: digits at fixed places, without the general parser
   * (a tenth of its cost; the keyword index reads two per memory it indexes).
   */
  public static Instant parseStored(String text) {
    if (text.length() != 24 || text.charAt(4) != '-' || text.charAt(10) != 'T' || text.charAt(23) != 'Z') {
      return Instant.parse(text);
    }
    long days = java.time.LocalDate.of(digits(text, 0, 4), digits(text, 5, 7), digits(text, 8, 10)).toEpochDay();
    long seconds = days * 86_400 + digits(text, 11, 13) * 3_600L + digits(text, 14, 16) * 60L + digits(text, 17, 19);
    return Instant.ofEpochSecond(seconds, digits(text, 20, 23) * 1_000_000L);
  }

  private static int digits(String s, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      int d = s.charAt(i) - '0';
      if (d < 0 || d > 9) throw new DateTimeException("not a stored timestamp: " + s);
      v = v * 10 + d;
    }
    return v;
  }

  public static String now() {
    return format(Instant.now());
  }

  /** An RFC 3339 timestamp with an offset, such as {@code 2026-01-31T12:00:00Z}. */
  public static Instant parse(String text) {
    return parse(text, false, "must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z");
  }

  /** An RFC 3339 timestamp, or a date ({@code 2026-01-31}) meaning its midnight UTC. */
  public static Instant parseTimeOrDate(String text) {
    return parse(text, true, "must be an RFC 3339 timestamp (2026-01-31T12:00:00Z) or a date (2026-01-31)");
  }

  /** A date such as {@code 2026-01-31}. */
  public static LocalDate parseDate(String text) {
    return date(text, "must be a date such as 2026-01-31");
  }

  private static Instant parse(String text, boolean dateAllowed, String rule) {
    String s = text == null ? "" : text.trim();
    if (dateAllowed && s.length() == 10) return date(s, rule).atStartOfDay().toInstant(ZoneOffset.UTC);
    if (s.isEmpty() || s.length() > MAX_CHARS) throw new InvalidTimestamp(rule);
    OffsetDateTime time;
    try {
      time = OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    } catch (DateTimeException e) {
      throw new InvalidTimestamp(rule);
    }
    // The year first: toInstant() itself fails near the ends of OffsetDateTime's range.
    if (time.getYear() < 0 || time.getYear() > 9999) throw new InvalidTimestamp(RANGE);
    Instant instant = time.toInstant();
    if (instant.isBefore(MIN) || !instant.isBefore(END)) throw new InvalidTimestamp(RANGE);
    return instant;
  }

  private static LocalDate date(String text, String rule) {
    if (text == null || text.isEmpty() || text.length() > MAX_CHARS) throw new InvalidTimestamp(rule);
    LocalDate date;
    try {
      date = LocalDate.parse(text.trim());
    } catch (DateTimeException e) {
      throw new InvalidTimestamp(rule);
    }
    if (date.getYear() < 0 || date.getYear() > 9999) throw new InvalidTimestamp(RANGE);
    return date;
  }
}
