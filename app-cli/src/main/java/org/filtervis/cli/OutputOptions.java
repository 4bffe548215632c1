package org.filtervis.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where a command writes and whether it says so as it goes: declared once for every command that writes a folder. */
final class OutputOptions {
    @Option(names = "--out", paramLabel = "PATH", description = Help.OUT)
    String out;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    /** --out, or the command's own default folder. */
    String location(String commandDefault) {
        return out != null ? out : commandDefault;
    }

    Path folder(String commandDefault) {
        return Path.of(location(commandDefault));
    }
}
