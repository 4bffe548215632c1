package org.filtervis.graph.keras;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JSON, and the JavaScript object literals that minifiers make of it (keys without quotes,
 * {@code !0}/{@code !1} for true/false, numbers like {@code .5}), into maps, lists, strings,
 * doubles, booleans and nulls. TF.js model packages ship their topology both ways.
 */
public final class JsLiteral {
    private final String s;
    private int i;

    private JsLiteral(String s, int start) {
        this.s = s;
        this.i = start;
    }

    /** Parses the value that starts at {@code start} (trailing text is ignored). */
    public static Object parse(String text, int start) {
        JsLiteral p = new JsLiteral(text, start);
        return p.value();
    }

    public static Object parse(String text) {
        return parse(text, 0);
    }

    private IllegalArgumentException error(String what) {
        int from = Math.max(0, i - 20);
        return new IllegalArgumentException(what + " at offset " + i + " near '" + s.substring(from, Math.min(s.length(), i + 20)) + "'");
    }

    private void space() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
    }

    private Object value() {
        space();
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        char c = s.charAt(i);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"', '\'' -> string();
            case '!' -> {
                // Minified booleans: !0 is true, !1 is false.
                i++;
                char d = s.charAt(i++);
                if (d != '0' && d != '1') {
                    throw error("expected !0 or !1");
                }
                yield d == '0';
            }
            default -> {
                if (c == '-' || c == '+' || c == '.' || Character.isDigit(c)) {
                    yield number();
                }
                String word = identifier();
                yield switch (word) {
                    case "true" -> true;
                    case "false" -> false;
                    case "null", "undefined" -> null;
                    case "NaN" -> Double.NaN;
                    case "Infinity" -> Double.POSITIVE_INFINITY;
                    default -> throw error("unexpected word '" + word + "'");
                };
            }
        };
    }

    private Map<String, Object> object() {
        Map<String, Object> m = new LinkedHashMap<>();
        boolean done = opens('}');
        while (!done) {
            space();
            char c = s.charAt(i);
            String key = c == '"' || c == '\'' ? string() : identifier();
            space();
            if (s.charAt(i++) != ':') {
                throw error("expected ':'");
            }
            m.put(key, value());
            done = closesAfterItem('}');
        }
        return m;
    }

    private List<Object> array() {
        List<Object> list = new ArrayList<>();
        boolean done = opens(']');
        while (!done) {
            list.add(value());
            done = closesAfterItem(']');
        }
        return list;
    }

    /** Steps over an opening bracket; true when {@code close} follows at once (an empty object or array). */
    private boolean opens(char close) {
        i++;
        space();
        if (s.charAt(i) == close) {
            i++;
            return true;
        }
        return false;
    }

    /** After an item: true at {@code close} (a trailing comma allowed, as JavaScript does), false after a comma with more to come. */
    private boolean closesAfterItem(char close) {
        space();
        char d = s.charAt(i++);
        if (d == close) {
            return true;
        }
        if (d != ',') {
            throw error("expected ',' or '" + close + "'");
        }
        space();
        if (s.charAt(i) == close) {
            i++;
            return true;
        }
        return false;
    }

    private String string() {
        char quote = s.charAt(i++);
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = s.charAt(i++);
            if (c == quote) {
                return b.toString();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(i++);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> b.append(e);
            }
        }
    }

    private String identifier() {
        int start = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '$')) {
            i++;
        }
        if (start == i) {
            throw error("unexpected character '" + s.charAt(i) + "'");
        }
        return s.substring(start, i);
    }

    private Double number() {
        int start = i;
        while (i < s.length() && "+-.0123456789eE".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        try {
            return Double.parseDouble(s.substring(start, i));
        } catch (NumberFormatException e) {
            throw error("bad number");
        }
    }
}
