package org.filtervis.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void nonFiniteNumbersAreNullSoStrictParsersAcceptTheFile() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("psnr", Double.POSITIVE_INFINITY);
        m.put("objectives", new float[] {1.5f, Float.NaN, Float.NEGATIVE_INFINITY});
        m.put("ok", 2.0);
        assertEquals("{\"psnr\": null, \"objectives\": [1.5, null, null], \"ok\": 2.0}", Json.write(m).strip().replaceAll("\\s+", " ").replace("{ ", "{")
                .replace(" }", "}"));
    }
}
