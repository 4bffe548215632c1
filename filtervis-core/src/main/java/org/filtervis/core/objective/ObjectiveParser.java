package org.filtervis.core.objective;

import org.filtervis.core.io.Npy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.Objective;

/**
 * Reads {@code --objective} expressions:
 * <pre>
 * EXPR := TERM (('+' | '-') TERM)*
 * TERM := [NUMBER '*'] CALL
 * CALL := NAME '(' ARG (',' ARG)* ')' | NAME '()'
 * </pre>
 * Spaces between tokens are ignored; an argument may be quoted with {@code '...'} when it holds
 * commas, spaces or parentheses; a channel argument {@code f} is each image's own filter. A
 * malformed expression is one usage error naming the position and what was expected.
 */
public final class ObjectiveParser {
    /** The objectives it knows, as written. */
    public static final List<String> NAMES = List.of("channel(L, c)", "channel_interior(L, c)", "neuron(L, c[, y, x])", "deepdream(L)", "logit(L, k)",
            "direction(L, V.npy)", "direction_cosine(L, V.npy, p)", "diversity(L)", "channel_interpolate(L, c1[, L2], c2)",
            "alignment(L[, decay])", "l1()", "l2()", "tv()");

    /** The largest weight of a term; the most terms in one objective. */
    static final double MAX_WEIGHT = 1e6;
    static final int MAX_TERMS = 256;

    private final String text;
    private int pos;

    private ObjectiveParser(String text) {
        this.text = text;
    }

    public static Objective parse(String text) {
        ObjectiveParser p = new ObjectiveParser(text);
        List<Objective.Weighted> terms = new ArrayList<>();
        double sign = 1;
        p.skipSpaces();
        if (p.peek() == '-' || p.peek() == '+') {
            sign = p.next() == '-' ? -1 : 1;
        }
        while (true) {
            if (terms.size() == MAX_TERMS) {
                throw FiltervisException.usage("objective: at position " + p.pos + ": more than " + MAX_TERMS + " terms; write a shorter objective");
            }
            terms.add(p.term(sign));
            p.skipSpaces();
            if (p.pos == text.length()) {
                break;
            }
            char c = p.next();
            if (c != '+' && c != '-') {
                throw p.error(p.pos - 1, "'+', '-' or the end");
            }
            sign = c == '-' ? -1 : 1;
        }
        return terms.size() == 1 && terms.get(0).weight() == 1 ? terms.get(0).objective() : new Objective.Sum(terms);
    }

    private Objective.Weighted term(double sign) {
        skipSpaces();
        double weight = 1;
        if (Character.isDigit(peek()) || peek() == '.') {
            int start = pos;
            while (pos < text.length()) {
                char c = peek();
                boolean exponentSign = (c == '+' || c == '-') && pos > start && "eE".indexOf(text.charAt(pos - 1)) >= 0;
                if (!(Character.isDigit(c) || c == '.' || c == 'e' || c == 'E' || exponentSign)) {
                    break;
                }
                pos++;
            }
            try {
                weight = Double.parseDouble(text.substring(start, pos));
            } catch (NumberFormatException e) {
                throw error(start, "a number");
            }
            // A weight the objective's float32 sum cannot hold would make it infinite or NaN, silently.
            if (!(Math.abs(weight) <= MAX_WEIGHT)) {
                throw FiltervisException.usage("objective: at position " + start + ": weight " + text.substring(start, pos)
                        + " is out of range; use a finite weight up to " + (long) MAX_WEIGHT + " in size");
            }
            skipSpaces();
            if (next() != '*') {
                throw error(pos - 1, "'*' after the number");
            }
        }
        return new Objective.Weighted(sign * weight, call());
    }

    private Objective call() {
        skipSpaces();
        int start = pos;
        while (pos < text.length() && (Character.isLetterOrDigit(peek()) || peek() == '_')) {
            pos++;
        }
        String name = text.substring(start, pos).toLowerCase(Locale.ROOT);
        if (name.isEmpty()) {
            throw error(start, "an objective name (" + String.join(", ", NAMES) + ")");
        }
        skipSpaces();
        if (next() != '(') {
            throw error(pos - 1, "'(' after " + name);
        }
        List<String> args = new ArrayList<>();
        skipSpaces();
        if (peek() == ')') {
            pos++;
        } else {
            while (true) {
                args.add(argument());
                skipSpaces();
                char c = peek();
                if (c != ')' && c != ',') {
                    throw error(pos, "',' or ')'");
                }
                pos++;
                if (c == ')') {
                    break;
                }
            }
        }
        return build(name, args, start);
    }

    private String argument() {
        skipSpaces();
        if (peek() == '\'') {
            int start = pos++;
            int end = text.indexOf('\'', pos);
            if (end < 0) {
                throw error(start, "a closing quote");
            }
            pos = end + 1;
            return text.substring(start + 1, end);
        }
        int start = pos;
        while (pos < text.length() && peek() != ',' && peek() != ')') {
            pos++;
        }
        String arg = text.substring(start, pos).strip();
        if (arg.isEmpty()) {
            throw error(start, "an argument");
        }
        return arg;
    }

    private Objective build(String name, List<String> a, int at) {
        return switch (name) {
            case "channel", "channel_interior" -> {
                arity(name, a, 2, 2, at);
                yield new Objective.Channel(a.get(0), channel(a.get(1), at), name.equals("channel") ? 0 : org.filtervis.api.Model.KERAS_BORDER);
            }
            case "neuron" -> {
                if (a.size() != 2 && a.size() != 4) {
                    throw FiltervisException.usage("objective: at position " + at + ": neuron takes (L, c) or (L, c, y, x), not " + a.size() + " arguments");
                }
                yield new Objective.Neuron(a.get(0), channel(a.get(1), at), a.size() == 4 ? integer(a.get(2), at) : null,
                        a.size() == 4 ? integer(a.get(3), at) : null);
            }
            case "deepdream" -> {
                arity(name, a, 1, 1, at);
                yield new Objective.DeepDream(a.get(0));
            }
            case "logit" -> {
                arity(name, a, 2, 2, at);
                yield new Objective.Logit(a.get(0), channel(a.get(1), at));
            }
            case "direction" -> {
                arity(name, a, 2, 2, at);
                yield new Objective.Direction(a.get(0), vector(name, a.get(1)));
            }
            case "direction_cosine" -> {
                arity(name, a, 3, 3, at);
                yield new Objective.DirectionCosine(a.get(0), vector(name, a.get(1)), number(a.get(2), at, 0, 100));
            }
            case "channel_interpolate" -> {
                if (a.size() != 3 && a.size() != 4) {
                    throw FiltervisException.usage("objective: at position " + at + ": channel_interpolate takes (L, c1, c2) or (L1, c1, L2, c2), not "
                            + a.size() + " arguments");
                }
                String second = a.size() == 4 ? a.get(2) : a.get(0);
                yield new Objective.ChannelInterpolate(a.get(0), integer(a.get(1), at), second, integer(a.get(a.size() - 1), at));
            }
            case "alignment" -> {
                arity(name, a, 1, 2, at);
                yield new Objective.Alignment(a.get(0), a.size() == 2 ? number(a.get(1), at, 1e-3, 1e3) : 2);
            }
            case "l1" -> image(name, a, at, new Objective.L1());
            case "l2" -> image(name, a, at, new Objective.L2());
            case "tv" -> image(name, a, at, new Objective.TotalVariation());
            case "diversity" -> {
                arity(name, a, 1, 1, at);
                yield new Objective.Diversity(a.get(0));
            }
            default -> throw FiltervisException.usage("objective: at position " + at + ": unknown objective '" + name + "'; available: "
                    + String.join(", ", NAMES));
        };
    }

    private static Objective image(String name, List<String> a, int at, Objective o) {
        arity(name, a, 0, 0, at);
        return o;
    }

    private static void arity(String name, List<String> a, int min, int max, int at) {
        if (a.size() < min || a.size() > max) {
            throw FiltervisException.usage("objective: at position " + at + ": " + name + " takes " + (min == max ? "" + min : min + " to " + max)
                    + " arguments, not " + a.size());
        }
    }

    /** A direction vector: a float32 .npy of shape (C,). */
    private static float[] vector(String name, String file) {
        Npy.Array v = Npy.read(Path.of(file));
        if (v.shape().length != 1) {
            throw FiltervisException.usage(file + " has shape " + java.util.Arrays.toString(v.shape()) + "; " + name
                    + " needs a float32 .npy of one value per channel, shape (C,)");
        }
        float[] d = v.data();
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                throw FiltervisException.usage(file + " holds " + d[i] + " at index " + i + "; " + name + " needs a vector of finite numbers");
            }
        }
        return d;
    }

    /** A finite number in [min, max]. */
    private static double number(String s, int at, double min, double max) {
        double v;
        try {
            v = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw FiltervisException.usage("objective: at position " + at + ": '" + s + "' is not a number");
        }
        if (!(v >= min && v <= max)) {
            throw FiltervisException.usage("objective: at position " + at + ": " + s + " is out of range; use a number from " + min + " to " + max);
        }
        return v;
    }

    /** A channel argument: {@code f} (the image's filter, null here) or a number. */
    private static Integer channel(String s, int at) {
        return s.equals("f") ? null : integer(s, at);
    }

    private static Integer integer(String s, int at) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw FiltervisException.usage("objective: at position " + at + ": '" + s + "' is not an integer (or f, the image's filter)");
        }
    }

    private void skipSpaces() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private char next() {
        if (pos >= text.length()) {
            throw error(pos, "more (the expression ends early)");
        }
        return text.charAt(pos++);
    }

    private FiltervisException error(int at, String expected) {
        return FiltervisException.usage("objective: at position " + at + " of '" + text + "': expected " + expected);
    }
}
