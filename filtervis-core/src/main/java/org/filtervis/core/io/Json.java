package org.filtervis.core.io;

import java.util.List;
import java.util.Map;

/** A small JSON writer for run records: maps, lists, strings, numbers, booleans, float arrays. */
public final class Json {
    private Json() {}

    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.append('\n').toString();
    }

    private static void write(StringBuilder sb, Object v, int indent) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof Float f) {
            number(sb, f.doubleValue(), true);
        } else if (v instanceof Double d) {
            number(sb, d, false);
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof float[] a) {
            sb.append('[');
            for (int i = 0; i < a.length; i++) {
                sb.append(i > 0 ? ", " : "");
                number(sb, a[i], true);
            }
            sb.append(']');
        } else if (v instanceof Map<?, ?> m) {
            sb.append("{");
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(i++ > 0 ? "," : "").append('\n').append("  ".repeat(indent + 1));
                string(sb, String.valueOf(e.getKey()));
                sb.append(": ");
                write(sb, e.getValue(), indent + 1);
            }
            sb.append(m.isEmpty() ? "}" : "\n" + "  ".repeat(indent) + "}");
        } else if (v instanceof List<?> l) {
            boolean simple = l.stream().allMatch(x -> x instanceof Number || x instanceof String);
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                sb.append(i > 0 ? "," : "");
                if (simple) {
                    sb.append(i > 0 ? " " : "");
                } else {
                    sb.append('\n').append("  ".repeat(indent + 1));
                }
                write(sb, l.get(i), indent + 1);
            }
            sb.append(simple || l.isEmpty() ? "]" : "\n" + "  ".repeat(indent) + "]");
        } else {
            string(sb, v.toString());
        }
    }

    /**
     * Non-finite numbers have no JSON form: they are written as {@code null} (as JavaScript's
     * JSON.stringify does), so every field stays a number or null; records say why elsewhere
     * (a filter's status, a pair's {@code images_identical}).
     */
    private static void number(StringBuilder sb, double d, boolean single) {
        if (!Double.isFinite(d)) {
            sb.append("null");
        } else if (single) {
            sb.append(Float.toString((float) d));
        } else {
            sb.append(d);
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
