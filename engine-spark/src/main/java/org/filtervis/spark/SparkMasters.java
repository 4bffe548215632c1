package org.filtervis.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.filtervis.api.FiltervisException;

/**
 * A Spark master URL checked before any work: the forms Spark accepts (a malformed one is a usage
 * error), and a standalone master that answers (an unreachable one is one line, where Spark
 * would retry for a minute and print its stack traces).
 */
final class SparkMasters {
    private static final Pattern LOCAL = Pattern.compile("local(\\[(\\*|\\d+)(,\\s*\\d+)?])?");
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\d+,\\s*\\d+,\\s*\\d+]");
    private static final Pattern STANDALONE = Pattern.compile("spark://([^/:,]+):(\\d+)(,[^/:,]+:\\d+)*");
    /** How long a standalone master gets to accept a connection. */
    static final int CONNECT_MILLIS = 5000;

    private SparkMasters() {}

    /** Fails with a usage error unless {@code master} has a form Spark accepts. */
    static void check(String master) {
        Matcher local = LOCAL.matcher(master);
        if (local.matches()) {
            String threads = local.group(2);
            if (threads != null && !threads.equals("*") && (threads.length() > 6 || Integer.parseInt(threads) < 1)) {
                throw FiltervisException.usage("Spark master " + master + " asks for " + threads + " threads; use local[N] with N from 1, or local[*]");
            }
            return;
        }
        if (LOCAL_CLUSTER.matcher(master).matches() || master.equals("yarn") || master.startsWith("k8s://") && master.length() > 6
                || master.startsWith("mesos://") && master.length() > 8) {
            return;
        }
        Matcher standalone = STANDALONE.matcher(master);
        if (standalone.matches()) {
            port(master, standalone.group(2));
            return;
        }
        throw FiltervisException.usage("Spark master " + master + " is not a Spark master URL; use local[N], spark://HOST:PORT, yarn or k8s://...");
    }

    private static int port(String master, String text) {
        int port = text.length() > 5 ? -1 : Integer.parseInt(text);
        if (port < 1 || port > 65535) {
            throw FiltervisException.usage("Spark master " + master + " has port " + text + "; a port is 1 to 65535");
        }
        return port;
    }

    /** For a single standalone master: fails in one line when nothing accepts connections there. */
    static void reachable(String master) {
        Matcher m = STANDALONE.matcher(master);
        if (!m.matches() || m.group(3) != null) {
            return; // local, a cluster manager, or several masters (Spark's failover decides)
        }
        String host = m.group(1);
        int port = port(master, m.group(2));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), CONNECT_MILLIS);
        } catch (IOException e) {
            throw FiltervisException.failure("cannot reach the Spark master at " + host + ":" + port + " (" + e.getMessage()
                    + "); start the cluster or check the master URL");
        }
    }
}
