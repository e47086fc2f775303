package dev.engram.cloud.mcp;

import java.util.Set;

/**
 * The tool names Engram's own server and SDKs know (its {@code src/mcp/tools.rs} definitions, the names its handlers
 * route, and the names its TypeScript and Python SDKs call), so that a call to one this server does not offer is
 * answered as such, and not as a name nobody ever heard of. The ones offered here are in {@link MemoryTools}.
 */
final class EngramToolNames {

  private EngramToolNames() {}

  static final Set<String> ALL = Set.of(
      // tools.rs definitions
      "memory_create", "context_seed", "memory_seed", "memory_get", "memory_update", "memory_delete", "memory_list",
      "memory_search", "memory_search_suggest", "memory_link", "memory_unlink", "memory_related",
      "memory_create_todo", "memory_create_issue", "memory_versions", "memory_get_version", "memory_revert",
      "memory_embedding_status", "memory_set_expiration", "memory_cleanup_expired", "memory_sync_status",
      "memory_stats", "memory_aggregate", "memory_export_graph", "memory_quality_report", "memory_clusters",
      "memory_find_duplicates", "memory_merge", "memory_scan_project", "memory_get_project_context",
      "memory_list_instruction_files", "memory_extract_entities", "memory_get_entities", "memory_search_entities",
      "memory_entity_stats", "memory_traverse", "memory_find_path", "memory_ingest_document", "workspace_list",
      "workspace_stats", "workspace_move", "workspace_delete", "memory_create_daily", "memory_promote_to_permanent",
      "embedding_cache_stats", "embedding_cache_clear", "session_index", "session_index_delta", "session_get",
      "session_list", "session_delete", "identity_create", "identity_get", "identity_update", "identity_delete",
      "identity_add_alias", "identity_remove_alias", "identity_resolve", "identity_list", "identity_search",
      "identity_link", "identity_unlink", "memory_get_identities", "memory_soft_trim", "memory_list_compact",
      "memory_content_stats", "memory_create_batch", "memory_delete_batch", "memory_tags", "memory_tag_hierarchy",
      "memory_validate_tags", "memory_export", "memory_import", "memory_rebuild_embeddings",
      "memory_rebuild_crossrefs", "memory_create_section", "memory_checkpoint", "memory_create_episodic",
      "memory_create_procedural", "memory_get_timeline", "memory_get_procedures", "memory_boost", "memory_summarize",
      "memory_get_full", "context_budget_check", "memory_archive_old", "langfuse_connect", "langfuse_sync",
      "langfuse_sync_status", "langfuse_extract_patterns", "memory_from_trace", "search_cache_feedback",
      "search_cache_stats", "search_cache_clear", "lifecycle_status", "lifecycle_run", "memory_set_lifecycle",
      "lifecycle_config", "memory_events_poll", "memory_events_clear", "sync_version", "sync_delta", "sync_state",
      "sync_cleanup", "memory_share", "memory_shared_poll", "memory_share_ack", "memory_search_by_identity",
      "memory_session_search", "memory_upload_image", "memory_migrate_images", "memory_suggest_tags",
      "memory_auto_tag", "salience_get", "salience_set_importance", "salience_boost", "salience_demote",
      "salience_decay_run", "salience_stats", "salience_history", "salience_top", "session_context_create",
      "session_context_add_memory", "session_context_remove_memory", "session_context_get", "session_context_list",
      "session_context_search", "session_context_update_summary", "session_context_end", "session_context_export",
      "quality_score", "quality_report", "quality_find_duplicates", "quality_get_duplicates",
      "quality_find_conflicts", "quality_get_conflicts", "quality_resolve_conflict", "quality_source_trust",
      "quality_improve",
      // routed by its handlers, or called by its SDKs
      "discover_tools", "session_land", "memory_get_injection_prompt", "memory_get_public", "memory_search_compact",
      "memory_expand", "memory_explain_utility", "memory_compress", "memory_decompress",
      "memory_compress_for_context", "memory_consolidate", "memory_synthesis", "memory_detect_updates",
      "memory_utility_score", "memory_sentiment_analyze", "memory_sentiment_timeline", "memory_reflect",
      "memory_detect_conflicts", "memory_resolve_conflict", "memory_coactivation_report", "memory_query_triplets",
      "memory_add_knowledge", "memory_agent_start", "memory_agent_stop", "memory_agent_status",
      "memory_agent_metrics", "memory_agent_configure", "memory_garden", "memory_garden_preview",
      "memory_garden_undo", "memory_suggest_acquisition", "memory_suggest_acquisitions", "memory_proactive_scan",
      "memory_cache_stats", "memory_cache_clear", "memory_embedding_providers", "memory_embedding_migrate",
      "memory_explain_search", "memory_feedback", "memory_feedback_stats", "memory_extract_facts",
      "memory_list_facts", "memory_fact_graph", "memory_build_context", "memory_prompt_template",
      "memory_token_estimate", "memory_block_get", "memory_block_edit", "memory_block_list", "memory_block_create",
      "memory_block_archive", "memory_block_history", "memory_temporal_create", "memory_temporal_invalidate",
      "memory_temporal_snapshot", "memory_temporal_contradictions", "memory_temporal_evolve", "memory_scope_set",
      "memory_scope_get", "memory_scope_list", "memory_scope_inherit", "memory_scope_isolate",
      "memory_grant_access", "memory_revoke_access", "memory_list_grants", "memory_check_access",
      "memory_federation_add_peer", "memory_federation_remove_peer", "memory_federation_list_peers",
      "memory_federation_search", "memory_federation_share", "memory_federation_sync_status");
}
