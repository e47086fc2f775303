package dev.engram.cloud.backup;

import dev.engram.cloud.sqlite.PrivateFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Backups in a local directory (the embedded default: {@code data/backups}). Objects are written whole, then moved. */
final class LocalTarget implements BackupTarget {

  private final Path root;

  LocalTarget(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  private Path path(String key) {
    Path path = root.resolve(key).normalize();
    if (!path.startsWith(root)) throw new IllegalArgumentException("backup key outside the target: " + key);
    return path;
  }

  @Override
  public void put(String key, Path file) throws IOException {
    Path to = path(key);
    PrivateFiles.createDirectories(to.getParent());
    Path tmp = privateEmpty(to.resolveSibling(to.getFileName() + ".part"));
    try (var out = Files.newOutputStream(tmp)) {
      Files.copy(file, out);
    }
    sync(tmp);
    Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void put(String key, byte[] bytes) throws IOException {
    Path to = path(key);
    PrivateFiles.createDirectories(to.getParent());
    Path tmp = privateEmpty(to.resolveSibling(to.getFileName() + ".part"));
    Files.write(tmp, bytes);
    sync(tmp);
    Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** An empty file only the owner may read (backups are as private as the data directory). */
  static Path privateEmpty(Path file) throws IOException {
    Files.deleteIfExists(file);
    PrivateFiles.createFile(file);
    return file;
  }

  private static void sync(Path file) throws IOException {
    try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
      channel.force(true);
    }
  }

  @Override
  public byte[] get(String key) throws IOException {
    try {
      return Files.readAllBytes(path(key));
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  @Override
  public boolean download(String key, Path to) throws IOException {
    Path from = path(key);
    if (!Files.exists(from)) return false;
    try (var out = Files.newOutputStream(privateEmpty(to))) {
      Files.copy(from, out);
    }
    return true;
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    Path start = path(prefix.isEmpty() ? "." : prefix);
    Path dir = Files.isDirectory(start) ? start : start.getParent();
    if (dir == null || !Files.isDirectory(dir)) return List.of();
    List<String> keys = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      files.filter(Files::isRegularFile).forEach(p -> {
        String key = root.relativize(p).toString().replace('\\', '/');
        if (key.startsWith(prefix) && !key.endsWith(".part")) keys.add(key);
      });
    } catch (NoSuchFileException e) {
      return List.of();
    }
    keys.sort(null);
    return keys;
  }

  @Override
  public void delete(String key) throws IOException {
    Files.deleteIfExists(path(key));
  }

  @Override
  public Path liveLogRoot() {
    return root;
  }

  @Override
  public String describe() {
    return root.toString();
  }
}
