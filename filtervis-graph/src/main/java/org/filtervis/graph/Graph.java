package org.filtervis.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model graph: nodes in topological order, constant weights by name, inputs and outputs.
 * Mutable: the rewrites in this module change it in place; {@link #copy()} first when the
 * original must be kept.
 */
public final class Graph {
    public String name;
    public final List<Node> nodes = new ArrayList<>();
    public final Map<String, Tensor> initializers = new LinkedHashMap<>();
    public final List<ValueInfo> inputs = new ArrayList<>();
    public final List<ValueInfo> outputs = new ArrayList<>();

    public Graph(String name) {
        this.name = name;
    }

    /** Inputs that are not also initializers: what a caller must feed. */
    public List<ValueInfo> dataInputs() {
        return inputs.stream().filter(v -> !initializers.containsKey(v.name())).toList();
    }

    /** The node producing each tensor. */
    public Map<String, Node> producers() {
        Map<String, Node> map = new HashMap<>();
        for (Node n : nodes) {
            for (String o : n.outputs()) {
                if (!o.isEmpty()) {
                    map.put(o, n);
                }
            }
        }
        return map;
    }

    /** Finds the node with the given name, or null. */
    public Node nodeNamed(String nodeName) {
        for (Node n : nodes) {
            if (n.name().equals(nodeName)) {
                return n;
            }
        }
        return null;
    }

    /** Keeps only the nodes that the given tensors depend on (order kept). */
    public void pruneTo(Set<String> targets) {
        Map<String, Node> producers = producers();
        Set<Node> needed = new HashSet<>();
        List<String> work = new ArrayList<>(targets);
        while (!work.isEmpty()) {
            Node n = producers.get(work.remove(work.size() - 1));
            if (n != null && needed.add(n)) {
                work.addAll(n.inputs());
            }
        }
        nodes.retainAll(needed);
        Set<String> used = new HashSet<>(targets);
        nodes.forEach(n -> used.addAll(n.inputs()));
        initializers.keySet().retainAll(used);
        inputs.removeIf(v -> !used.contains(v.name()));
    }

    public Graph copy() {
        Graph g = new Graph(name);
        nodes.forEach(n -> g.nodes.add(n.copy()));
        g.initializers.putAll(initializers);
        g.inputs.addAll(inputs);
        g.outputs.addAll(outputs);
        return g;
    }
}
