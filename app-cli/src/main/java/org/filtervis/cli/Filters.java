package org.filtervis.cli;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.filtervis.api.FiltervisException;

/** Parses filter lists such as {@code 0-63}, {@code 0,5,9} or {@code 0-3,8}. */
final class Filters {
    private Filters() {}

    static List<Integer> parse(String spec) {
        Set<Integer> out = new LinkedHashSet<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-', 1);
                if (dash > 0) {
                    int from = Integer.parseInt(p.substring(0, dash).trim());
                    int to = Integer.parseInt(p.substring(dash + 1).trim());
                    if (to < from) {
                        throw FiltervisException.usage("filter range '" + p + "' runs backwards; write it as " + to + "-" + from);
                    }
                    for (int f = from; f <= to; f++) {
                        out.add(f);
                    }
                } else {
                    out.add(Integer.parseInt(p));
                }
            } catch (NumberFormatException e) {
                throw FiltervisException.usage("cannot read filter list '" + spec + "'; use indices and ranges like 0-63 or 0,5,9");
            }
        }
        return new ArrayList<>(out);
    }

    /** Checks every filter is a channel of the layer. */
    static void check(List<Integer> filters, int channels, String layer) {
        for (int f : filters) {
            if (f < 0 || f >= channels) {
                throw FiltervisException.usage("filter " + f + " is out of range: layer '" + layer + "' has filters 0 to " + (channels - 1));
            }
        }
    }
}
