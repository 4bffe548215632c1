package org.filtervis.graph;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which tensors a person would pick: with PyTorch's scoped node names
 * ({@code /layer2/layer2.1/relu_1/Relu}), the output of every block at the first two scope
 * levels ({@code /layer2}, {@code /layer2/layer2.1}): the last tensor made inside the block that
 * is used outside it. Without scopes (Keras names such as {@code mixed4}, {@code block_6_add}), the
 * activations and the joins (Concat, Add). The graph's outputs always.
 */
public final class LayerSuggestions {
    private static final Set<String> ACTIVATIONS = Set.of("Relu", "Clip", "LeakyRelu", "HardSwish", "Sigmoid", "Elu", "Selu", "Tanh", "Softmax");

    private static final Set<String> JOINS = Set.of("Concat", "Add", "Sum");

    private LayerSuggestions() {}

    public static Set<String> of(Graph g) {
        Set<String> suggested = new LinkedHashSet<>();
        Map<String, String> scopeOf = new HashMap<>();
        boolean scoped = false;
        for (Node n : g.nodes) {
            int cut = n.name().lastIndexOf('/');
            String scope = cut > 0 ? n.name().substring(0, cut) : "";
            scoped |= !scope.isEmpty();
            n.outputs().forEach(o -> scopeOf.put(o, scope));
        }
        if (scoped) {
            Map<String, String> lastOut = new java.util.LinkedHashMap<>();
            for (Node n : g.nodes) {
                String scope = scopeOf.get(n.output(0));
                for (String in : n.inputs()) {
                    String producer = scopeOf.get(in);
                    if (producer == null) {
                        continue;
                    }
                    // A tensor made inside a block and used outside it leaves the block.
                    for (String block : blocks(producer)) {
                        if (!(scope + "/").startsWith(block + "/")) {
                            lastOut.put(block, in);
                        }
                    }
                }
            }
            suggested.addAll(lastOut.values());
        } else {
            g.nodes.stream().filter(n -> ACTIVATIONS.contains(n.opType()) || JOINS.contains(n.opType())).forEach(n -> suggested.add(n.output(0)));
        }
        g.outputs.forEach(o -> suggested.add(o.name()));
        return suggested;
    }

    /**
     * The layers a user can pick: every node output with a channel axis, in graph order,
     * suggested ones first.
     *
     * @param shapes the shape of each node output for one image
     */
    public static java.util.List<org.filtervis.api.LayerInfo> layers(Graph g, Map<String, long[]> shapes) {
        Set<String> suggested = of(g);
        List<org.filtervis.api.LayerInfo> first = new java.util.ArrayList<>();
        List<org.filtervis.api.LayerInfo> rest = new java.util.ArrayList<>();
        for (Node n : g.nodes) {
            for (String t : n.outputs()) {
                long[] s = shapes.get(t);
                if (s != null && s.length >= 2) {
                    boolean pick = suggested.contains(t);
                    (pick ? first : rest).add(new org.filtervis.api.LayerInfo(t, n.opType(), java.util.Arrays.stream(s).boxed().toList(), (int) s[1], pick));
                }
            }
        }
        first.addAll(rest);
        return first;
    }

    /** The first two levels of a scope: "/a/b/c" gives "/a" and "/a/b". */
    private static List<String> blocks(String scope) {
        String[] parts = scope.split("/");
        List<String> out = new java.util.ArrayList<>();
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < parts.length && i <= 2; i++) {
            sb.append('/').append(parts[i]);
            out.add(sb.toString());
        }
        return out;
    }
}
