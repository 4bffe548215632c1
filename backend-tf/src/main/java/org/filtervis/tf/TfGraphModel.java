package org.filtervis.tf;

/** Placeholder while the TensorFlow formats are written. */
final class TfGraphModel {
    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }

    static org.filtervis.api.Model savedModel(TfBackend b, java.nio.file.Path p) {
        throw new UnsupportedOperationException();
    }

    static org.filtervis.api.Model frozen(TfBackend b, java.nio.file.Path p) {
        throw new UnsupportedOperationException();
    }
}
