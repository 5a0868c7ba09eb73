package io.sagawarden.bench;

import io.sagawarden.testing.AppProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Diagnostic commands (JFR, heap) sent to a node with the jcmd beside the node's own java. */
final class Jcmd {

    private Jcmd() {
    }

    static String run(AppProcess app, String... command) throws Exception {
        return run(app.pid(), command);
    }

    /** What the command printed; fails when it did not succeed within a minute. */
    static String run(long pid, String... command) throws Exception {
        String java = ProcessHandle.of(pid).flatMap(p -> p.info().command()).orElseThrow();
        List<String> full = new ArrayList<>(List.of(Path.of(java).resolveSibling("jcmd").toString(), Long.toString(pid)));
        full.addAll(List.of(command));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", full) + ": " + out);
        }
        return out;
    }
}
