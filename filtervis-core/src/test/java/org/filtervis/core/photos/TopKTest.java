package org.filtervis.core.photos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The bounded heaps: a total order, so any arrival order, any split and merge, and a trip through serialization give the same K. */
class TopKTest {
    static List<TopK.Example> examples() {
        List<TopK.Example> out = new ArrayList<>();
        Random r = new Random(3);
        for (int i = 0; i < 400; i++) {
            // Few distinct values, so ties are everywhere: the paths (with non-ASCII names), rows and columns decide.
            out.add(new TopK.Example((i % 3 == 0 ? "é/" : "a/") + "p" + (i % 50) + ".png", r.nextInt(5), r.nextInt(3), r.nextInt(3)));
        }
        return out;
    }

    static List<String> keys(TopK k) {
        return k.best().stream().map(e -> e.value() + " " + e.image() + " " + e.y() + " " + e.x()).toList();
    }

    @Test
    void anyOrderAnySplitTheSameBest() throws Exception {
        for (boolean largest : new boolean[] {true, false}) {
            List<TopK.Example> all = examples();
            List<TopK.Example> sorted = new ArrayList<>(all);
            sorted.sort((a, b) -> {
                int c = largest ? Float.compare(b.value(), a.value()) : Float.compare(a.value(), b.value());
                return c != 0 ? c : TopK.TIES.compare(a, b);
            });
            TopK one = new TopK(7, largest);
            all.forEach(one::offer);
            assertEquals(sorted.subList(0, 7).stream().map(e -> e.value() + " " + e.image() + " " + e.y() + " " + e.x()).toList(), keys(one),
                    "the 7 best by value, then path bytes, row, column");
            for (long seed = 0; seed < 5; seed++) {
                List<TopK.Example> shuffled = new ArrayList<>(all);
                Collections.shuffle(shuffled, new Random(seed));
                TopK a = new TopK(7, largest);
                TopK b = new TopK(7, largest);
                for (int i = 0; i < shuffled.size(); i++) {
                    (i < 123 ? a : b).offer(shuffled.get(i));
                }
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
                    o.writeObject(b);
                }
                TopK back;
                try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                    back = (TopK) in.readObject();
                }
                a.merge(back);
                assertEquals(keys(one), keys(a), "split at 123, shuffled with seed " + seed + ", one part serialized, merged");
            }
        }
    }
}
