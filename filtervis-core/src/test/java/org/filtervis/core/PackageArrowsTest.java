package org.filtervis.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The core's packages in layers: each imports only the packages below it (package-info.java says why). */
class PackageArrowsTest {
    /** Lowest first; "" is org.filtervis.core itself. The last three are side by side. */
    static final List<String> LAYERS = List.of("io", "plugin", "objective", "lucid", "ascent", "", "photos", "compare", "explain", "atlas");
    static final Pattern IMPORT = Pattern.compile("^import (?:static )?org\\.filtervis\\.core\\.?([a-z]*)(?:\\.[A-Z]|;)", Pattern.MULTILINE);

    static int rank(String pkg) {
        int i = LAYERS.indexOf(pkg);
        return i >= LAYERS.indexOf("compare") ? LAYERS.indexOf("compare") : i;
    }

    @Test
    void everyImportPointsDown() throws IOException {
        Path root = Path.of("src/main/java/org/filtervis/core");
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = root.relativize(f.getParent()).toString().replace('/', '.');
                assertTrue(LAYERS.contains(pkg), "a package not in the layers: " + pkg);
                // Imports, and names written out in code (comments left aside).
                String code = Files.readString(f).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
                Matcher m = IMPORT.matcher(code.replaceAll("(?<![\\w.])org\\.filtervis\\.core\\.([a-z]+)\\.([A-Z])", "\nimport org.filtervis.core.$1.$2"));
                while (m.find()) {
                    String to = m.group(1);
                    checked++;
                    if (!to.equals(pkg) && rank(to) >= rank(pkg)) {
                        wrong.add(f.getFileName() + " (" + (pkg.isEmpty() ? "core" : pkg) + ") imports core" + (to.isEmpty() ? "" : "." + to));
                    }
                }
            }
        }
        assertTrue(checked > 50, "imports were read: " + checked);
        assertTrue(wrong.isEmpty(), "imports that point up or sideways:\n" + String.join("\n", wrong));
    }
}
