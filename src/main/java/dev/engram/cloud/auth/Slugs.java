package dev.engram.cloud.auth;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Tenant slugs: 3 to 40 characters of lowercase letters, digits and hyphens, starting and ending with a letter or
 * digit. They never contain an underscore, so a slug is never mistaken for a tenant id ({@code tn_…}).
 */
public final class Slugs {

  private static final Pattern SLUG = Pattern.compile("[a-z0-9][a-z0-9-]{1,38}[a-z0-9]");
  static final int MAX = 40;
  private static final int SUFFIX = 4;

  private Slugs() {}

  public static boolean valid(String slug) {
    return slug != null && SLUG.matcher(slug).matches();
  }

  public static String rule() {
    return "3 to 40 lowercase letters, digits and hyphens, starting and ending with a letter or digit";
  }

  /**
   * A slug made from a tenant name: accents dropped, lowercase, every run of other characters one hyphen; a name
   * that leaves fewer than 3 characters gets a random suffix (so does a taken slug: {@link #withSuffix}).
   */
  public static String derive(String name) {
    String ascii = Normalizer.normalize(name == null ? "" : name, Normalizer.Form.NFKD).replaceAll("\\p{M}+", "");
    String slug = ascii.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    if (slug.length() > MAX) slug = slug.substring(0, MAX).replaceAll("-+$", "");
    return slug.length() >= 3 ? slug : withSuffix(slug.isEmpty() ? "tenant" : slug);
  }

  /** {@code base} (cut to fit) with a hyphen and 4 random lowercase letters or digits. */
  public static String withSuffix(String base) {
    String head = base.length() > MAX - SUFFIX - 1 ? base.substring(0, MAX - SUFFIX - 1).replaceAll("-+$", "") : base;
    return head + "-" + Ids.lower36(SUFFIX);
  }
}
