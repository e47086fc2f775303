package dev.engram.cloud.model;

import dev.engram.cloud.bus.ApiException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Engram's golden workspace-normalisation cases. */
class WorkspacesTest {

  @ParameterizedTest
  @CsvSource({"My-Project,my-project", "'  my-project  ',my-project", "my_project_2024,my_project_2024",
      "default,default"})
  void valid_names_are_trimmed_and_lowercased(String raw, String expected) {
    assertEquals(expected, Workspaces.normalize(raw));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "_system", "_private", "my project", "my@project",
      "a23456789012345678901234567890123456789012345678901234567890123456789012345678901"})
  void invalid_names_are_400(String raw) {
    assertEquals(400, assertThrows(ApiException.class, () -> Workspaces.normalize(raw)).status());
  }
}
