package org.filtervis.graph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator application. Inputs and outputs are tensor names; an empty name is an omitted
 * optional input or output, as in ONNX.
 */
public final class Node {
    private final String opType;
    private final String name;
    private final String domain;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, Attribute> attributes;

    public Node(String opType, String name, String domain, List<String> inputs, List<String> outputs,
            Map<String, Attribute> attributes) {
        this.opType = opType;
        this.name = name == null ? "" : name;
        this.domain = domain == null ? "" : domain;
        this.inputs = new ArrayList<>(inputs);
        this.outputs = new ArrayList<>(outputs);
        this.attributes = new LinkedHashMap<>(attributes);
    }

    public static Node of(String opType, String name, List<String> inputs, List<String> outputs, Attribute... attributes) {
        Map<String, Attribute> map = new LinkedHashMap<>();
        for (Attribute a : attributes) {
            map.put(a.name(), a);
        }
        return new Node(opType, name, "", inputs, outputs, map);
    }

    public String opType() {
        return opType;
    }

    public String name() {
        return name;
    }

    public String domain() {
        return domain;
    }

    /** The input names, modifiable by graph rewrites. */
    public List<String> inputs() {
        return inputs;
    }

    /** Input i, or "" when absent. */
    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    public List<String> outputs() {
        return outputs;
    }

    public String output(int i) {
        return i < outputs.size() ? outputs.get(i) : "";
    }

    public Map<String, Attribute> attributes() {
        return attributes;
    }

    public long attr(String key, long fallback) {
        Attribute a = attributes.get(key);
        return a == null ? fallback : a.asLong();
    }

    public float attr(String key, float fallback) {
        Attribute a = attributes.get(key);
        return a == null ? fallback : a.asFloat();
    }

    public String attr(String key, String fallback) {
        Attribute a = attributes.get(key);
        return a == null ? fallback : a.asString();
    }

    public long[] attr(String key, long[] fallback) {
        Attribute a = attributes.get(key);
        return a == null ? fallback : a.asLongs();
    }

    /** How messages name this node: its name, or its op type and first output when unnamed. */
    public String describe() {
        return name.isEmpty() ? opType + " -> " + output(0) : name;
    }

    public Node copy() {
        return new Node(opType, name, domain, inputs, outputs, attributes);
    }

    @Override
    public String toString() {
        return opType + "(" + name + ": " + inputs + " -> " + outputs + " " + attributes.values() + ")";
    }
}
