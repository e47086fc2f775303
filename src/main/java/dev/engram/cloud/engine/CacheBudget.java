package dev.engram.cloud.engine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One heap budget for the search caches (typo-correction vocabularies) of every active tenant. When a cache grows
 * past it, the least recently used other caches are dropped; they are rebuilt from their index on next use.
 * Caches report their size themselves; dropping happens with no lock of the caller held, so two tenants evicting
 * each other cannot deadlock.
 */
final class CacheBudget {

  private static final Logger log = LoggerFactory.getLogger(CacheBudget.class);

  private final long maxBytes;
  private final Map<SearchCache, Long> sizes = new ConcurrentHashMap<>();

  CacheBudget(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  long usedBytes() {
    return sizes.values().stream().mapToLong(Long::longValue).sum();
  }

  void forget(SearchCache cache) {
    sizes.remove(cache);
  }

  /** Records {@code cache}'s size and evicts others, least recently used first, until the total fits. */
  void resized(SearchCache cache, long bytes) {
    if (bytes == 0) {
      sizes.remove(cache);
      return;
    }
    sizes.put(cache, bytes);
    long used = usedBytes();
    if (used <= maxBytes) return;
    List<SearchCache> others = new ArrayList<>(sizes.keySet());
    others.remove(cache);
    others.sort(Comparator.comparingLong(SearchCache::lastUsedNanos));
    for (SearchCache victim : others) {
      if (used <= maxBytes) break;
      Long size = sizes.remove(victim);
      if (size == null) continue;
      victim.drop();
      used -= size;
    }
    if (used > maxBytes) {
      log.warn("search cache of one tenant ({} MiB) exceeds search.vocabulary_cache_mb alone", bytes >> 20);
    }
  }
}
