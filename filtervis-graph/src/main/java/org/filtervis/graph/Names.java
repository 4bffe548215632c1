package org.filtervis.graph;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Closest-name suggestions for messages about unknown names. */
public final class Names {
    private Names() {}

    /** Up to {@code limit} candidates nearest to {@code wanted} by edit distance, nearest first. */
    public static List<String> closest(String wanted, List<String> candidates, int limit) {
        List<String> sorted = new ArrayList<>(candidates);
        String w = wanted.toLowerCase();
        sorted.sort(Comparator.comparingInt((String c) -> distance(w, c.toLowerCase())).thenComparing(c -> c));
        return sorted.subList(0, Math.min(limit, sorted.size()));
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
