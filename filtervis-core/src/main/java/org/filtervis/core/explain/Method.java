package org.filtervis.core.explain;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import org.filtervis.api.FiltervisException;

/** The attribution methods, by the name {@code --method} takes; docs/explain.md defines each. */
public enum Method {
    GRADCAM("gradcam", true),
    GRADCAM_PP("gradcam++", true),
    HIRESCAM("hirescam", true),
    LAYERCAM("layercam", true),
    SCORECAM("scorecam", true),
    XGRADCAM("xgradcam", true),
    EIGENCAM("eigencam", true),
    EIGENGRADCAM("eigengradcam", true),
    ABLATIONCAM("ablationcam", true),
    SALIENCY("saliency", false),
    SMOOTHGRAD("smoothgrad", false),
    INTEGRATED_GRADIENTS("integrated-gradients", false);

    private final String cliName;
    private final boolean atLayer;

    Method(String cliName, boolean atLayer) {
        this.cliName = cliName;
        this.atLayer = atLayer;
    }

    /** As {@code --method} and the file names say it. */
    public String cliName() {
        return cliName;
    }

    /** Whether its map is at a layer's resolution (the class activation maps) rather than the image's. */
    public boolean atLayer() {
        return atLayer;
    }

    /** File-name form: {@code gradcam++} is {@code gradcampp}. */
    public String fileName() {
        return cliName.replace("+", "p");
    }

    /** A comma-separated list, or {@code all}. */
    public static List<Method> parse(String list) {
        LinkedHashSet<Method> out = new LinkedHashSet<>();
        for (String part : list.split(",")) {
            String name = part.strip().toLowerCase(Locale.ROOT);
            if (name.equals("all")) {
                out.addAll(List.of(values()));
                continue;
            }
            Method found = null;
            for (Method m : values()) {
                if (m.cliName.equals(name) || m.fileName().equals(name) || name.equals("ig") && m == INTEGRATED_GRADIENTS) {
                    found = m;
                }
            }
            if (found == null) {
                List<String> names = new ArrayList<>();
                for (Method m : values()) {
                    names.add(m.cliName);
                }
                throw FiltervisException.usage("unknown method '" + part.strip() + "'; use " + String.join(", ", names) + " or all");
            }
            out.add(found);
        }
        if (out.isEmpty()) {
            throw FiltervisException.usage("no method in '" + list + "'; name at least one: " + String.join(", ",
                    java.util.Arrays.stream(values()).map(m -> m.cliName).toList()) + " or all");
        }
        return List.copyOf(out);
    }
}
