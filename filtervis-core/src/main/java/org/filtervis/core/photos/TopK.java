package org.filtervis.core.photos;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The K best examples of one channel, kept as a bounded heap: the largest values (top) or the
 * smallest (bottom), ties broken by the photo's path in byte order, then row, then column. The
 * order is total, so the result does not depend on the order photos arrive in, nor on how they
 * are split between workers and merged.
 */
public final class TopK implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** One photo's value in a channel, and where its activation map peaks. */
    public record Example(String image, byte[] key, float value, int y, int x) implements java.io.Serializable {
        public Example(String image, float value, int y, int x) {
            this(image, image.getBytes(java.nio.charset.StandardCharsets.UTF_8), value, y, x);
        }
    }

    /** Ties: the path's bytes (unsigned), then row, then column. */
    static final Comparator<Example> TIES = (Comparator<Example> & java.io.Serializable) (a, b) -> {
        int c = Arrays.compareUnsigned(a.key(), b.key());
        if (c != 0) {
            return c;
        }
        c = Integer.compare(a.y(), b.y());
        return c != 0 ? c : Integer.compare(a.x(), b.x());
    };

    private final int k;
    private final boolean largest;
    /** Best first (rebuilt after a trip through serialization, as comparators of lambdas are not sent). */
    private transient Comparator<Example> order;
    /** Worst at the head, so it is the one to drop. */
    private transient PriorityQueue<Example> heap;

    private static Comparator<Example> order(boolean largest) {
        Comparator<Example> byValue = Comparator.comparingDouble(Example::value);
        return (largest ? byValue.reversed() : byValue).thenComparing(TIES);
    }

    private void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
        out.defaultWriteObject();
        out.writeObject(new ArrayList<>(heap));
    }

    @SuppressWarnings("unchecked")
    private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
        in.defaultReadObject();
        order = order(largest);
        heap = new PriorityQueue<>(Math.max(1, k), order.reversed());
        ((List<Example>) in.readObject()).forEach(this::offer);
    }

    /** @param largest keep the largest values (top), else the smallest (bottom) */
    public TopK(int k, boolean largest) {
        this.k = k;
        this.largest = largest;
        this.order = order(largest);
        this.heap = new PriorityQueue<>(Math.max(1, k), order.reversed());
    }

    /** Keeps {@code e} if it is among the K best so far. */
    public void offer(Example e) {
        if (k == 0) {
            return;
        }
        if (heap.size() < k) {
            heap.add(e);
        } else if (order.compare(e, heap.peek()) < 0) {
            heap.poll();
            heap.add(e);
        }
    }

    /** Adds another part's examples (a merge of two scans of different photos). */
    public void merge(TopK other) {
        other.heap.forEach(this::offer);
    }

    /** The kept examples, best first. */
    public List<Example> best() {
        List<Example> out = new ArrayList<>(heap);
        out.sort(order);
        return out;
    }
}
