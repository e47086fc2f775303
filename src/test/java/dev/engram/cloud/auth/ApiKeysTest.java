package dev.engram.cloud.auth;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiKeysTest {

  @Test
  void generated_keys_are_well_formed_unique_and_hash_stably() {
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String key = ApiKeys.generate();
      assertTrue(key.matches("ek_live_[0-9A-Za-z]{38}"), key);
      assertTrue(ApiKeys.wellFormed(key));
      keys.add(key);
    }
    assertEquals(1000, keys.size());
    String key = keys.iterator().next();
    assertEquals(ApiKeys.hash(key), ApiKeys.hash(key));
    assertEquals(64, ApiKeys.hash(key).length());
    assertEquals(key.substring(0, 12), ApiKeys.displayPrefix(key));
  }

  @Test
  void a_single_changed_character_fails_the_checksum() {
    String key = ApiKeys.generate();
    for (int i = ApiKeys.LIVE_PREFIX.length(); i < key.length(); i++) {
      char c = key.charAt(i);
      String typo = key.substring(0, i) + (c == 'a' ? 'b' : 'a') + key.substring(i + 1);
      assertFalse(ApiKeys.wellFormed(typo), "typo at " + i);
    }
    assertFalse(ApiKeys.wellFormed(key + "x"));
    assertFalse(ApiKeys.wellFormed(key.replace("ek_live_", "ek_prod_")));
    assertFalse(ApiKeys.wellFormed(key.substring(0, 20) + "-" + key.substring(21)));
  }

  @Test
  void passwords_verify_only_with_the_right_password() {
    PasswordHasher hasher = new PasswordHasher(1000);
    String stored = hasher.hash("s3cret-pass");
    assertNotEquals(stored, hasher.hash("s3cret-pass"), "salted");
    assertTrue(hasher.verify("s3cret-pass", stored));
    assertFalse(hasher.verify("s3cret-pasS", stored));
    assertFalse(hasher.verify("s3cret-pass", null), "an unknown user never verifies");
  }
}
