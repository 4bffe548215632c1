package org.filtervis.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;
import org.filtervis.api.FiltervisException;
import org.filtervis.graph.GradientGraph;

/** One ONNX Runtime session of a gradient model, for a fixed batch size and image size. */
final class GradientSession implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String imageName;
    private final long[] imageDims;

    GradientSession(OrtEnvironment env, OrtSession session, String imageName, long[] imageDims) {
        this.env = env;
        this.session = session;
        this.imageName = imageName;
        this.imageDims = imageDims.clone();
    }

    int batch() {
        return (int) imageDims[0];
    }

    /** Runs a full batch: {@code images} holds exactly {@link #batch()} images. */
    void run(float[] images, long[] channels, float[] objectives, float[] gradients) {
        try (OnnxTensor image = OnnxTensor.createTensor(env, FloatBuffer.wrap(images), imageDims);
                OnnxTensor channel = OnnxTensor.createTensor(env, LongBuffer.wrap(channels), new long[] {channels.length});
                OrtSession.Result result = session.run(Map.of(imageName, image, ChannelGradientModel.CHANNELS, channel))) {
            read(result, ChannelGradientModel.OBJECTIVES).get(objectives, 0, channels.length);
            read(result, GradientGraph.GRADIENT).get(gradients, 0, images.length);
        } catch (OrtException e) {
            throw FiltervisException.failure("ONNX Runtime failed running the gradient model: " + OnnxBackend.firstLine(e.getMessage()), e);
        }
    }

    private static FloatBuffer read(OrtSession.Result result, String name) {
        OnnxValue v = result.get(name).orElseThrow(() -> new IllegalStateException("gradient model has no output " + name));
        return ((OnnxTensor) v).getFloatBuffer();
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
