package dev.engram.cloud.sqlite;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The data directory holds password and key hashes, signing keys and every tenant's memories, so nothing in it is
 * for other users of the machine: directories are 0700 and files 0600 (on file systems without POSIX permissions
 * this does nothing). Files are created private where this code creates them; SQLite creates its -wal and -shm
 * files with the database file's mode, and the private directories above them guard any file made another way.
 */
public final class PrivateFiles {

  private static final Logger log = LoggerFactory.getLogger(PrivateFiles.class);
  private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
  private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
  private static final FileAttribute<Set<PosixFilePermission>> FILE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
  private static final int EXAMPLES = 5;

  private PrivateFiles() {}

  /** Creates {@code dir} and its missing parents, each one 0700 from the start (the umask can only narrow it). */
  public static Path createDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) return dir;
    return posix(dir) ? Files.createDirectories(dir, DIRECTORY) : Files.createDirectories(dir);
  }

  /** Creates an empty file readable only by its owner, unless it exists; false when it did. */
  public static boolean createFile(Path file) throws IOException {
    try {
      if (posix(file)) {
        Files.createFile(file, FILE);
      } else {
        Files.createFile(file);
      }
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    }
  }

  /**
   * Takes every group and other permission off {@code path} (never following a link); true when there were any.
   * Does nothing to a path that does not exist.
   */
  public static boolean restrict(Path path) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS);
    if (view == null || !Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return false;
    Set<PosixFilePermission> perms = view.readAttributes().permissions();
    if (!perms.removeAll(OTHERS)) return false;
    view.setPermissions(perms);
    return true;
  }

  /**
   * Creates the data directory if needed and makes it and everything below it private, with a warning naming what
   * had been open to others. Symbolic links inside are neither followed nor changed; the directory itself may be one.
   * What cannot be changed (another user's file) is logged as an error and left; the server still starts.
   */
  public static void secure(Path dataDir) throws IOException {
    Path root = createDirectories(dataDir).toRealPath();
    if (!posix(root)) return;
    List<Path> opened = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        visit(dir);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        if (attrs.isRegularFile()) visit(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        failed.add(file + " (" + e + ")");
        return FileVisitResult.CONTINUE;
      }

      private void visit(Path path) {
        try {
          if (restrict(path)) opened.add(path);
        } catch (IOException | SecurityException e) {
          failed.add(path + " (" + e + ")");
        }
      }
    });
    if (!opened.isEmpty()) {
      log.warn("{} path(s) in the data directory {} were open to other users; made them private (owner only): {}",
          opened.size(), root, opened.subList(0, Math.min(EXAMPLES, opened.size())));
    }
    if (!failed.isEmpty()) {
      log.error("{} path(s) in the data directory {} could not be made private; fix their owner or mode by hand: {}",
          failed.size(), root, failed.subList(0, Math.min(EXAMPLES, failed.size())));
    }
  }

  private static boolean posix(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}
