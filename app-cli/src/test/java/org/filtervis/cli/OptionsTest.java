package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every command's options, read from the command line's model: a flag means one thing
 * everywhere, so it has one help text (defaults aside, which picocli fills in per command) and
 * one kind of value wherever it is declared.
 */
class OptionsTest {
    /** What a value is: a number, a switch, a list, or text (a name, a path or a URI all are). */
    static String kind(Class<?> type) {
        if (type == String.class || type == java.nio.file.Path.class) {
            return "text";
        }
        return type.getSimpleName();
    }

    @Test
    void aFlagHasOneMeaningAndOneHelpText() {
        CommandLine cl = new CommandLine(new Filtervis());
        Map<String, Map<String, List<String>>> texts = new TreeMap<>();
        for (Map.Entry<String, CommandLine> sub : cl.getSubcommands().entrySet()) {
            for (OptionSpec o : sub.getValue().getCommandSpec().options()) {
                if (o.hidden()) {
                    continue;
                }
                String help = String.join(" ", o.description()).replace(String.valueOf(o.defaultValue()), "DEFAULT") + " [" + kind(o.type())
                        + " " + o.paramLabel() + "]";
                texts.computeIfAbsent(o.longestName(), k -> new LinkedHashMap<>()).computeIfAbsent(help, k -> new ArrayList<>()).add(sub.getKey());
            }
        }
        List<String> conflicts = new ArrayList<>();
        texts.forEach((flag, byText) -> {
            if (byText.size() > 1) {
                conflicts.add(flag + ":\n    " + String.join("\n    ", byText.entrySet().stream().map(e -> e.getValue() + ": " + e.getKey()).toList()));
            }
        });
        assertTrue(conflicts.isEmpty(), "flags with two help texts or value kinds:\n" + String.join("\n", conflicts));
        assertTrue(texts.size() > 30, "the options were read: " + texts.keySet());
    }
}
