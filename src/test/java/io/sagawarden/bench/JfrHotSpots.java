package io.sagawarden.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/** The hottest methods of a JFR recording's execution samples: where the time went (self) and what it ran under. */
final class JfrHotSpots {

    private JfrHotSpots() {
    }

    static void print(Path recording) throws IOException {
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> packages = new HashMap<>();
        Map<String, Integer> ours = new HashMap<>();
        int samples = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            if (!event.getEventType().getName().equals("jdk.ExecutionSample") || event.getStackTrace() == null) {
                continue;
            }
            List<RecordedFrame> frames = event.getStackTrace().getFrames();
            if (frames.isEmpty()) {
                continue;
            }
            samples++;
            String top = name(frames.getFirst());
            self.merge(top, 1, Integer::sum);
            packages.merge(packageOf(frames.getFirst()), 1, Integer::sum);
            Set<String> seen = new HashSet<>();
            for (RecordedFrame frame : frames) {
                String name = name(frame);
                if (name.startsWith("io.sagawarden.") && seen.add(name)) {
                    ours.merge(name, 1, Integer::sum);
                }
            }
        }
        System.out.printf("%nService CPU over the recording (JFR, %d execution samples):%n", samples);
        table("self time by method", self, samples, 20);
        table("self time by package", packages, samples, 15);
        table("time under Saga Warden's methods (inclusive)", ours, samples, 20);
    }

    private static void table(String title, Map<String, Integer> counts, int samples, int rows) {
        System.out.printf("%n  %s%n", title);
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(rows)
                .forEach(e -> System.out.printf("  %5.1f %%  %s%n", 100.0 * e.getValue() / samples, e.getKey()));
    }

    private static String name(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }

    private static String packageOf(RecordedFrame frame) {
        String type = frame.getMethod().getType().getName();
        String[] parts = type.split("\\.");
        return String.join(".", java.util.Arrays.copyOf(parts, Math.min(3, parts.length - 1)));
    }
}
