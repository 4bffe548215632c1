package org.filtervis.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.plugin.BackendModule;
import org.filtervis.core.plugin.BackendRegistry;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.RunModule;
import org.filtervis.core.RunSettings;
import org.filtervis.core.Session;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code filtervis} command line. Exit codes: 0 done, 1 failed while running, 2 wrong input. */
@Command(name = "filtervis", mixinStandardHelpOptions = true, versionProvider = Filtervis.Version.class,
        description = "Shows what the filters of a trained CNN respond to, by gradient ascent on the input image.",
        subcommands = {BackendsCommand.class, LayersCommand.class, VisualizeCommand.class, GradientCommand.class, ExportGradientCommand.class,
            SpectrumCommand.class, ExamplesCommand.class, CompareCommand.class, ConvertCommand.class, ExplainCommand.class, AtlasCommand.class, CommandLine.HelpCommand.class})
public final class Filtervis implements Callable<Integer> {
    static final int FAILED = 1;
    static final int USAGE = 2;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Show stack traces of errors.")
    boolean verbose;

    @Option(names = "--plugins", scope = CommandLine.ScopeType.INHERIT, paramLabel = "DIR",
            description = "A further plugins folder, one sub-folder per plugin (the distribution's plugins/ are always loaded).")
    Path plugins;

    PrintStream out;
    PrintStream err;
    boolean terminal;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, System.console() != null));
    }

    /** Runs one command line; returns its exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err, boolean terminal) {
        Filtervis top = new Filtervis();
        top.out = out;
        top.err = err;
        top.terminal = terminal;
        CommandLine cl = new CommandLine(top);
        // Every subcommand answers --help, -h and -V as the top command does (filtervis help CMD too).
        cl.getSubcommands().values().stream().filter(sub -> !(sub.getCommand() instanceof CommandLine.HelpCommand))
                .forEach(sub -> sub.getCommandSpec().mixinStandardHelpOptions(true));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((e, a) -> {
            err.println("filtervis: " + e.getMessage() + " (see: filtervis " + commandPath(e.getCommandLine()) + " --help)");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            if (top.verbose) {
                e.printStackTrace(err);
            }
            FiltervisException fe = userError(e);
            if (fe != null) {
                err.println("filtervis: " + FlagWords.of(fe.getMessage()));
                return fe.usage() ? USAGE : FAILED;
            }
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            err.println("filtervis: unexpected error: " + root + (top.verbose ? "" : " (run with --verbose for details)"));
            return FAILED;
        });
        return cl.execute(args);
    }

    /** Our own message among the causes (Guice wraps what providers throw), or null. */
    static FiltervisException userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof FiltervisException fe) {
                return fe;
            }
        }
        return null;
    }

    private static String commandPath(CommandLine c) {
        String name = c.getCommandName();
        return c.getParent() == null ? "" : name;
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(out);
        return USAGE;
    }

    /** The distribution's plugins folder, then --plugins DIR, which adds to it. */
    java.util.List<Path> pluginsDirs() {
        java.util.List<Path> dirs = new java.util.ArrayList<>();
        String home = System.getProperty("filtervis.home");
        if (home != null) {
            dirs.add(Path.of(home, "plugins"));
        }
        if (plugins != null) {
            if (!java.nio.file.Files.isDirectory(plugins)) {
                throw FiltervisException.usage("plugins folder " + plugins + " does not exist; --plugins names a folder with one sub-folder per plugin");
            }
            dirs.add(plugins);
        }
        return dirs;
    }

    /** Discovers backends and reports plugins that failed to load. */
    BackendRegistry registry() {
        if (registry == null) {
            registry = BackendRegistry.discover(pluginsDirs());
            registry.problems().forEach(p -> err.println("filtervis: warning: " + p));
        }
        return registry;
    }

    private BackendRegistry registry;

    /** Wires the chosen backend for a model through Guice; the run writes no images. */
    Session session(String backend, Path model, BackendOptions options, Recipe recipe, int batch) {
        return session(backend, model, options, recipe, batch, null);
    }

    /** filtervis's version, as the run records say it. */
    static String version() {
        return new Version().getVersion()[0];
    }

    /**
     * Wires one run through Guice: a child of the command's one injector (the discovered backends),
     * with the chosen backend and, when {@code out} is given, the standard sinks writing there.
     * compare runs several backends, so it asks for several children.
     */
    Session session(String backend, Path model, BackendOptions options, Recipe recipe, int batch, Path out) {
        org.filtervis.core.Limits.threads(options.threads());
        org.filtervis.core.Limits.batch(batch);
        org.filtervis.core.Limits.recipe(recipe);
        RunSettings settings = new RunSettings(backend, model, options, recipe, batch, out);
        return injector().createChildInjector(new RunModule(settings)).getInstance(Session.class);
    }

    private Injector injector;

    /** The command's injector, created on first use: every discovered backend, by name. */
    Injector injector() {
        if (injector == null) {
            injector = Guice.createInjector(new BackendModule(registry().providers()));
        }
        return injector;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Filtervis.class.getPackage().getImplementationVersion();
            return new String[] {"filtervis " + (v == null ? "development build" : v)};
        }
    }

    /** Options shared by the commands that open a model. */
    static final class ModelOptions {
        @Option(names = "--model", paramLabel = "FILE", description = Help.MODEL)
        Path model;

        @Option(names = "--backend", paramLabel = "NAME", description = Help.BACKEND)
        String backend;

        @Option(names = "--device", defaultValue = "cpu", description = "Device: cpu or cuda (default: ${DEFAULT-VALUE}).")
        String device;

        @Option(names = "--threads", defaultValue = "0", description = "Compute threads (default: the framework's choice).")
        int threads;

        @Option(names = "--size", paramLabel = "PX", description = Help.SIZE)
        Integer size;

        @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|bf16", description = "bf16: the network's convolutions and matrix"
                + " products in bfloat16, on CPUs with AMX or AVX512_BF16 and backends that offer it (filtervis backends); default: ${DEFAULT-VALUE}.")
        String precision;

        BackendOptions backendOptions() {
            return new BackendOptions(device, threads, precision);
        }

        /** The size to use: --size, the model's fixed size, or the recipe's 180. */
        int size(org.filtervis.api.InputSpec input) {
            if (size != null) {
                return org.filtervis.core.Limits.size(size);
            }
            return input.height() > 0 ? input.height() : Recipe.KERAS_SIZE;
        }
    }
}
