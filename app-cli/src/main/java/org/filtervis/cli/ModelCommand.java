package org.filtervis.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** What every command that opens a model and writes a folder declares: the model's options and the output's, once. */
abstract class ModelCommand {
    @ParentCommand
    Filtervis top;

    @Mixin
    Filtervis.ModelOptions options;

    @Mixin
    OutputOptions output;
}
