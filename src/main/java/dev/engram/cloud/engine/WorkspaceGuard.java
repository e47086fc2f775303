package dev.engram.cloud.engine;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.engine.EngineMessages.Create;
import dev.engram.cloud.engine.EngineMessages.CreateBlock;
import dev.engram.cloud.engine.EngineMessages.Delete;
import dev.engram.cloud.engine.EngineMessages.EditBlock;
import dev.engram.cloud.engine.EngineMessages.EngineCommand;
import dev.engram.cloud.engine.EngineMessages.ExportPage;
import dev.engram.cloud.engine.EngineMessages.FeedbackStats;
import dev.engram.cloud.engine.EngineMessages.Get;
import dev.engram.cloud.engine.EngineMessages.GetBlock;
import dev.engram.cloud.engine.EngineMessages.GetMany;
import dev.engram.cloud.engine.EngineMessages.Import;
import dev.engram.cloud.engine.EngineMessages.ImportedMemory;
import dev.engram.cloud.engine.EngineMessages.Link;
import dev.engram.cloud.engine.EngineMessages.ListBlocks;
import dev.engram.cloud.engine.EngineMessages.ListMemories;
import dev.engram.cloud.engine.EngineMessages.MoveWorkspace;
import dev.engram.cloud.engine.EngineMessages.ProjectContext;
import dev.engram.cloud.engine.EngineMessages.RecentActivity;
import dev.engram.cloud.engine.EngineMessages.RecordFeedback;
import dev.engram.cloud.engine.EngineMessages.Related;
import dev.engram.cloud.engine.EngineMessages.ScanProject;
import dev.engram.cloud.engine.EngineMessages.Search;
import dev.engram.cloud.engine.EngineMessages.Suggest;
import dev.engram.cloud.engine.EngineMessages.Unlink;
import dev.engram.cloud.engine.EngineMessages.Update;
import dev.engram.cloud.engine.EngineMessages.Versions;
import dev.engram.cloud.engine.EngineMessages.WorkspaceList;
import dev.engram.cloud.engine.EngineMessages.WorkspaceStats;
import dev.engram.cloud.search.SearchFilter;

import java.sql.SQLException;
import java.time.Instant;

import java.util.List;
import java.util.Set;

/**
 * Holds a key restricted to some workspaces to them, inside the engine so that the check and the command see the
 * same rows (for a write, in the same transaction). A memory outside the key's workspaces is "not found", exactly
 * like another tenant's; a command that names such a workspace is refused; tenant-wide views are refused. Typo
 * correction (in searches and spelling suggestions) draws only on the words of the key's workspaces; listings of
 * workspaces and links are held to them in their queries.
 */
final class WorkspaceGuard {

  private final Set<String> allowed;

  WorkspaceGuard(Set<String> allowed) {
    this.allowed = allowed;
  }

  /** The command narrowed to the allowed workspaces, after checking every workspace and memory it names. */
  EngineCommand admit(EngineCommand cmd, MemoryStore store, Instant now) throws SQLException {
    if (cmd instanceof Create c) {
      requireWorkspace(c.workspace());
    } else if (cmd instanceof Import i) {
      for (ImportedMemory m : i.memories()) requireWorkspace(m.workspace());
    } else if (cmd instanceof MoveWorkspace m) {
      requireMemory(store, m.id(), now);
      requireWorkspace(m.workspace());
    } else if (cmd instanceof Get g) {
      requireMemory(store, g.id(), now);
    } else if (cmd instanceof Update u) {
      requireMemory(store, u.id(), now);
    } else if (cmd instanceof Delete d) {
      requireMemory(store, d.id(), now);
    } else if (cmd instanceof Versions v) {
      requireMemory(store, v.id(), now);
    } else if (cmd instanceof Related r) {
      requireMemory(store, r.id(), now);
      // links whose other end is outside are left out by the query, so that a page is full
      return new Related(r.id(), r.edgeType(), r.limit(), allowed);
    } else if (cmd instanceof Link l) {
      requireMemory(store, l.fromId(), now);
      requireMemory(store, l.toId(), now);
    } else if (cmd instanceof Unlink u) {
      requireMemory(store, u.fromId(), now);
      requireMemory(store, u.toId(), now);
    } else if (cmd instanceof ScanProject p) {
      // project context lives in one workspace: the key must be allowed there, as for a create
      requireWorkspace(p.workspace());
    } else if (cmd instanceof ProjectContext p) {
      requireWorkspace(p.workspace());
    } else if (cmd instanceof GetMany g) {
      Set<String> within = g.within() == null ? allowed : g.within().stream().filter(allowed::contains)
          .collect(java.util.stream.Collectors.toSet());
      return new GetMany(g.ids(), within);
    } else if (cmd instanceof ListBlocks l) {
      if (l.workspace() != null) requireWorkspace(l.workspace());
      Set<String> within = l.within() == null ? allowed : l.within().stream().filter(allowed::contains)
          .collect(java.util.stream.Collectors.toSet());
      return new ListBlocks(l.workspace(), l.blockType(), within);
    } else if (cmd instanceof GetBlock b) {
      requireWorkspace(b.workspace());
    } else if (cmd instanceof CreateBlock b) {
      requireWorkspace(b.workspace());
    } else if (cmd instanceof EditBlock b) {
      requireWorkspace(b.workspace());
    } else if (cmd instanceof RecordFeedback f) {
      requireMemory(store, f.memoryId(), now);
    } else if (cmd instanceof FeedbackStats f) {
      if (f.workspace() != null) requireWorkspace(f.workspace());
      return new FeedbackStats(f.workspace(), allowed);
    } else if (cmd instanceof WorkspaceStats w) {
      requireWorkspace(w.workspace());
    } else if (cmd instanceof Search s) {
      // typo correction, like the results, learns only from the key's workspaces
      SearchFilter f = s.filter();
      if (f.workspaces() != null) {
        f.workspaces().forEach(this::requireWorkspace);
        return s.restricted(f, allowed);
      }
      return s.restricted(new SearchFilter(List.copyOf(allowed), f.tags(), f.anyTag(),
          f.memoryType(), f.tier(), f.importanceMin(), f.importanceMax(), f.createdAfter(), f.createdBefore(),
          f.updatedAfter(), f.updatedBefore(), f.tree()), allowed);
    } else if (cmd instanceof Suggest s) {
      return new Suggest(s.query(), allowed);
    } else if (cmd instanceof ListMemories l) {
      List<String> within = l.workspaces() == null ? List.of(oneWorkspace(null)) : l.workspaces();
      within.forEach(this::requireWorkspace);
      return new ListMemories(within, l.tags(), l.memoryType(), l.tier(), l.order(), l.limit(), l.offset(),
          l.beforeId());
    } else if (cmd instanceof RecentActivity a) {
      return new RecentActivity(oneWorkspace(a.workspace()), a.since(), a.limit(), a.memoryTypes());
    } else if (cmd instanceof ExportPage p) {
      return new ExportPage(oneWorkspace(p.workspace()), p.afterId(), p.limit());
    } else if (cmd instanceof WorkspaceList w) {
      return new WorkspaceList(w.limit(), allowed);
    } else {
      // Stats, tags and identities are views over the whole tenant.
      throw ApiException.forbidden("workspace_restricted", "This key is restricted to workspaces "
          + allowed.stream().sorted().toList() + "; tenant-wide views are not available to it.");
    }
    return cmd;
  }

  private String oneWorkspace(String named) {
    if (named != null) {
      requireWorkspace(named);
      return named;
    }
    if (allowed.size() == 1) return allowed.iterator().next();
    throw ApiException.badRequest("workspace_required", "This key is restricted to workspaces "
        + allowed.stream().sorted().toList() + "; name one of them.");
  }

  private void requireWorkspace(String workspace) {
    if (!allowed.contains(workspace)) {
      throw ApiException.forbidden("workspace_not_allowed", "This key may not use workspace '" + workspace + "'.");
    }
  }

  private void requireMemory(MemoryStore store, long id, Instant now) throws SQLException {
    if (!visible(store, id, now)) throw ApiException.notFound("No memory with id " + id + ".");
  }

  private boolean visible(MemoryStore store, long id, Instant now) throws SQLException {
    return store.get(id, now).map(m -> allowed.contains(m.getString("workspace"))).orElse(false);
  }
}
