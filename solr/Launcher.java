/*
 * Starts Apache Solr 9 (embedded Jetty) on 127.0.0.1 for the City Data Exchange portal.
 *
 * Usage: java -cp 'lib/*' Launcher.java SOLR_HOME PORT
 *
 * Solr's own CoreContainerProvider logs core start-up failures and carries on, which
 * would leave CKAN talking to a half-working server. This launcher checks every core
 * after start-up and exits non-zero, naming the core and the cause, if any failed.
 */
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import org.apache.solr.core.CoreContainer;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

public class Launcher {
  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: Launcher SOLR_HOME PORT");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    if (!Files.isRegularFile(home.resolve("solr.xml"))) {
      System.err.println("solr: no solr.xml in " + home);
      System.exit(2);
    }
    System.setProperty("host", "127.0.0.1");
    System.setProperty("jetty.host", "127.0.0.1");

    JettyConfig config = JettyConfig.builder().setPort(port).setContext("/solr").build();
    JettySolrRunner solr = new JettySolrRunner(home.toString(), new Properties(), config);
    try {
      solr.start();
    } catch (Exception e) {
      System.err.println("solr: could not start on 127.0.0.1:" + port + ": " + e);
      System.exit(1);
    }

    CoreContainer cores = solr.getCoreContainer();
    if (cores == null) {
      System.err.println("solr: the core container did not start; see the log above");
      solr.stop();
      System.exit(1);
    }
    Map<String, CoreContainer.CoreLoadFailure> failures = cores.getCoreInitFailures();
    if (!failures.isEmpty()) {
      failures.forEach((name, failure) ->
          System.err.println("solr: core '" + name + "' failed to load: " + failure.exception));
      solr.stop();
      System.exit(1);
    }
    System.out.println("solr: started on http://127.0.0.1:" + solr.getLocalPort()
        + "/solr with cores " + cores.getLoadedCoreNames());

    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        solr.stop();
      } catch (Exception e) {
        System.err.println("solr: error on stop: " + e);
      }
    }));
    Thread.currentThread().join();
  }
}
