package org.filtervis.core;

import java.util.ArrayList;
import java.util.List;
import org.filtervis.api.FiltervisException;

/**
 * Filter lists such as {@code 0-63}, {@code 0,5,9} or {@code 0-3,8}: parsed into ranges first and
 * checked against the layer's channels before anything is expanded, so {@code 0-99999999} is a
 * one-line error, not gigabytes of integers.
 */
public final class FilterList {
    private FilterList() {}

    /** The ranges of a list, in the order given, not yet checked against a layer. */
    public record Spec(String text, List<long[]> ranges) {
        /** How many entries the list names, repeats included. */
        public long entries() {
            return ranges.stream().mapToLong(r -> r[1] - r[0] + 1).sum();
        }
    }

    public static Spec parse(String text) {
        List<long[]> ranges = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-', 1);
                long from = Long.parseLong(dash > 0 ? p.substring(0, dash).trim() : p);
                long to = dash > 0 ? Long.parseLong(p.substring(dash + 1).trim()) : from;
                if (to < from) {
                    throw FiltervisException.usage("filter range '" + p + "' runs backwards; write it as " + to + "-" + from);
                }
                ranges.add(new long[] {from, to});
            } catch (NumberFormatException e) {
                throw FiltervisException.usage("cannot read filter list '" + text + "'; use indices and ranges like 0-63 or 0,5,9");
            }
        }
        return new Spec(text, ranges);
    }

    /** Every filter once, in the order first named (visualize and compare draw each filter once). */
    public static List<Integer> distinct(Spec spec, int channels, String layer) {
        return entries(spec, channels, layer).distinct().boxed().toList();
    }

    /** One entry per filter named, repeats kept (gradient: one image per entry). */
    public static List<Integer> each(Spec spec, int channels, String layer) {
        return entries(spec, channels, layer).boxed().toList();
    }

    private static java.util.stream.IntStream entries(Spec spec, int channels, String layer) {
        check(spec, channels, layer);
        return spec.ranges().stream().flatMapToInt(r -> java.util.stream.IntStream.rangeClosed((int) r[0], (int) r[1]));
    }

    /** Every filter must be a channel of the layer; checked on the ranges' ends, before expanding. */
    private static void check(Spec spec, int channels, String layer) {
        for (long[] r : spec.ranges()) {
            if (r[0] < 0 || r[1] >= channels) {
                long bad = r[0] < 0 ? r[0] : Math.max(r[0], channels);
                throw FiltervisException.usage("filter " + bad + " is out of range: layer '" + layer + "' has filters 0 to " + (channels - 1));
            }
        }
        if (spec.entries() > 1_000_000) {
            throw FiltervisException.usage("filter list '" + spec.text() + "' names " + spec.entries() + " entries; at most 1000000");
        }
    }
}
