package org.filtervis.examples.toy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.BackendContract;

/** The toy passes the SPI contract on its nonlinear layer. */
class ToyBackendContractTest extends BackendContract {
    static final ModelBackend TOY = new ToyProvider().create(new BackendOptions("cpu", 1));

    @Override
    protected ModelBackend backend() {
        return TOY;
    }

    @Override
    protected Path model(Path dir) throws IOException {
        return Files.writeString(dir.resolve("m.toy"), "toy");
    }

    @Override
    protected String layer() {
        return "square";
    }
}
