package dev.engram.cloud.testing;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.PlaywrightException;
import io.vertx.core.json.JsonArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One headless Chromium for the whole test JVM, driven by Playwright (Java): the system's Chromium (Debian's
 * {@code chromium}, which scripts/test installs when missing), never a browser Playwright downloads. Each test takes
 * a fresh context (cookies, storage and cache of its own) from the shared browser, which costs milliseconds.
 * When no Chromium can start, the tests that need one fail with the reason: they never skip.
 */
public final class Browsers {

  /** axe-core from npm (the accessibility rules the tests check every page with). */
  public static final String AXE = "axe-core@4.10.3";
  private static final Path AXE_PREFIX = Path.of("target", "axe-core").toAbsolutePath();
  private static final Path SCREENSHOTS = Path.of("target", "screenshots").toAbsolutePath();

  private static Playwright playwright;
  private static Browser browser;
  private static String axeSource;

  private Browsers() {}

  /** The shared browser, started on first use and closed when the JVM exits. */
  public static synchronized Browser shared() {
    if (browser == null) {
      Path chromium = chromium();
      long started = System.nanoTime();
      playwright = create();
      long driver = System.nanoTime();
      browser = launch(playwright, chromium);
      System.out.printf("browser: Playwright's driver started in %d ms, %s %s in %d ms%n",
          (driver - started) / 1_000_000, chromium, browser.version(), (System.nanoTime() - driver) / 1_000_000);
      // Closed at exit, for at most 5 s: a close that hangs on a busy machine must not hold the JVM (surefire kills
      // a fork that has not exited 30 s after System.exit). The driver also ends its browser when its pipe closes.
      Playwright driverToClose = playwright;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        Thread close = new Thread(() -> {
          try {
            driverToClose.close();
          } catch (RuntimeException ignored) {
            // the JVM is exiting; the driver process goes with it
          }
        });
        close.setDaemon(true);
        close.start();
        try {
          close.join(5000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    return browser;
  }

  /**
   * A new context at {@code baseUrl} with axe-core injected into every page before the page's own scripts (an init
   * script is not subject to the page's Content-Security-Policy, which forbids inline scripts).
   */
  public static BrowserContext context(String baseUrl) {
    BrowserContext context = shared().newContext(new Browser.NewContextOptions().setBaseURL(baseUrl)
        .setViewportSize(1280, 900).setLocale("en-US"));
    context.addInitScript(axe());
    context.onPage(page -> page.onDialog(dialog -> dialog.accept()));
    return context;
  }

  /** The executable: {@code ENGRAM_TEST_CHROMIUM}, else {@code chromium} on the PATH (target/tools included). */
  static Path chromium() {
    String configured = System.getenv("ENGRAM_TEST_CHROMIUM");
    if (configured != null && !configured.isBlank()) return Path.of(configured);
    List<Path> dirs = new ArrayList<>();
    dirs.add(Path.of("target", "tools", "usr", "bin").toAbsolutePath());
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty()) dirs.add(Path.of(dir));
    }
    for (Path dir : dirs) {
      for (String name : List.of("chromium", "chromium-browser")) {
        if (Files.isExecutable(dir.resolve(name))) return dir.resolve(name);
      }
    }
    throw new AssertionError("No Chromium for the browser tests: scripts/test installs Debian's chromium when it is "
        + "missing (run the suite with scripts/test), or set ENGRAM_TEST_CHROMIUM to a Chromium executable.");
  }

  private static Playwright create() {
    try {
      return Playwright.create(new Playwright.CreateOptions()
          .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
    } catch (PlaywrightException e) {
      throw new AssertionError("Playwright's driver did not start: " + e.getMessage(), e);
    }
  }

  static Browser launch(Playwright playwright, Path chromium) {
    try {
      return playwright.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(chromium)
          .setHeadless(true).setArgs(List.of("--disable-gpu", "--disable-dev-shm-usage")));
    } catch (PlaywrightException e) {
      throw new AssertionError("Chromium (" + chromium + ") did not start; the browser tests need it: "
          + e.getMessage(), e);
    }
  }

  private static synchronized String axe() {
    if (axeSource == null) {
      Path file = AXE_PREFIX.resolve("node_modules/axe-core/axe.min.js");
      try {
        Npm.install(AXE_PREFIX, List.of(AXE), file);
        axeSource = Files.readString(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return axeSource;
  }

  /** The page as it looks now, whole, to {@code target/screenshots/<name>.png}. */
  public static void screenshot(Page page, String name) {
    page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve(name + ".png")).setFullPage(true));
  }

  /** axe-core's serious and critical violations on the page as it is now: rule, help and the elements. */
  public static List<String> seriousViolations(Page page) {
    Object found = page.evaluate("""
        async () => {
          const result = await axe.run(document, {resultTypes: ['violations']});
          return JSON.stringify(result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', ')));
        }""");
    return new JsonArray(String.valueOf(found)).stream().map(String::valueOf).toList();
  }
}
