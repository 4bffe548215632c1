package org.filtervis.core.ascent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.filtervis.api.InputSpec;
import org.filtervis.api.RgbImage;
import org.junit.jupiter.api.Test;

class ImageMathTest {
    @Test
    void noiseIsInTheRecipesRangeAndDependsOnlyOnSeedAndFilter() {
        float[] a = new float[1000];
        float[] b = new float[2000];
        ImageMath.initialNoise(a, 0, 1000, 5, 3);
        ImageMath.initialNoise(b, 1000, 1000, 5, 3);
        for (int i = 0; i < 1000; i++) {
            assertTrue(a[i] >= -0.125f && a[i] < 0.125f);
            assertEquals(a[i], b[1000 + i]);
        }
    }

    @Test
    void aRepeatedFilterGetsNoiseOfItsOwnWhileDistinctFiltersKeepTheirs() {
        long[] keys = ImageMath.imageKeys(new int[] {7, 3, 7, 7, 2});
        assertArrayEquals(new long[] {7, 3, 7 + (1L << 32), 7 + (2L << 32), 2}, keys);
        float[] first = new float[100];
        float[] plain = new float[100];
        float[] repeat = new float[100];
        ImageMath.initialNoise(first, 0, 100, 5, keys[0]);
        ImageMath.initialNoise(plain, 0, 100, 5, 7);
        ImageMath.initialNoise(repeat, 0, 100, 5, keys[2]);
        assertArrayEquals(plain, first, "a filter's first image starts where it always did");
        assertTrue(!java.util.Arrays.equals(first, repeat), "its repeat starts elsewhere");
    }

    @Test
    void stepMovesByLrInL2NormAndIgnoresZeroGradients() {
        float[] img = new float[4];
        float[] g = {3, 0, 4, 0};
        assertTrue(ImageMath.step(img, g, 0, 4, 10));
        assertArrayEquals(new float[] {6, 0, 8, 0}, img, 1e-6f);
        assertTrue(ImageMath.step(img, new float[4], 0, 4, 10));
        assertArrayEquals(new float[] {6, 0, 8, 0}, img, 1e-6f);
        assertTrue(!ImageMath.step(img, new float[] {Float.NaN, 0, 0, 0}, 0, 4, 10));
    }

    @Test
    void deprocessFollowsTheKerasExample() {
        // 180 px: mean 0, std 1 -> 0.5 + 0.15 * v, crop 25 px per side.
        InputSpec spec = new InputSpec("x", InputSpec.Layout.NHWC, 3, 180, 180);
        float[] img = new float[spec.elements()];
        for (int i = 0; i < img.length; i++) {
            img[i] = i % 2 == 0 ? 1 : -1;
        }
        RgbImage out = ImageMath.deprocess(img, 0, spec);
        assertEquals(130, out.width());
        assertEquals(130, out.height());
        // pixel (0,0) of the crop is (25,25) of the image: index (25*180+25)*3 = 13575, odd -> -1
        assertEquals(Math.round((0.5 - 0.15 / (1 + 1e-5)) * 255), out.red(0, 0));
        assertEquals(Math.round((0.5 + 0.15 / (1 + 1e-5)) * 255), out.green(0, 0));
    }
}
