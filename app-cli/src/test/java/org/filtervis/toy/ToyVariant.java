package org.filtervis.toy;

import java.nio.file.Path;
import java.util.List;
import org.filtervis.api.BackendProvider;

/**
 * A variant of the toy backend under another name: the toy's formats and devices, never the
 * default for a file (it is picked by name). Subclasses say what differs.
 */
abstract class ToyVariant implements BackendProvider {
    /** The toy itself (examples/toy-backend), packed into the same plugin jar: loaded by name, so app-cli's tests do not put it on their class path. */
    final BackendProvider toy = toy();

    static BackendProvider toy() {
        try {
            return (BackendProvider) Class.forName("org.filtervis.examples.toy.ToyProvider", true, ToyVariant.class.getClassLoader())
                    .getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the toy backend is not in this plugin jar", e);
        }
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public List<String> modelFormats() {
        return toy.modelFormats();
    }

    @Override
    public List<String> devices() {
        return toy.devices();
    }

    @Override
    public boolean canOpen(Path model) {
        return false;
    }
}
