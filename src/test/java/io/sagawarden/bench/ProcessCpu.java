package io.sagawarden.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * CPU time of processes, from {@code /proc} (Linux): what a process and, for a server such as PostgreSQL, its
 * children have used, in seconds. A child that exits adds its time to its parent's "children" counters, so the
 * sum over a server's tree never loses a backend that came and went.
 */
final class ProcessCpu {

    /** USER_HZ: the unit of the counters in {@code /proc/<pid>/stat}, 100 on every Linux this runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcessCpu() {
    }

    /** User and system time of one process. */
    static double seconds(long pid) {
        long[] stat = stat(pid);
        return stat == null ? 0 : (stat[1] + stat[2]) / TICKS_PER_SECOND;
    }

    /** User and system time of {@code root}, of its children that exited, and of those still running. */
    static double treeSeconds(long root) {
        long[] own = stat(root);
        if (own == null) {
            throw new IllegalStateException("no process " + root);
        }
        long ticks = own[1] + own[2] + own[3] + own[4];
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path p : processes.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                long[] child = stat(Long.parseLong(p.getFileName().toString()));
                if (child != null && child[0] == root) {
                    ticks += child[1] + child[2] + child[3] + child[4];
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return ticks / TICKS_PER_SECOND;
    }

    /**
     * User and system time of one process's threads so far, summed by kind: the name without its number
     * ({@code C2 CompilerThread0} and {@code C2 CompilerThread1} are one kind), as the kernel keeps it (15 characters).
     */
    static Map<String, Double> secondsByThread(long pid) {
        Map<String, Double> byKind = new TreeMap<>();
        try (Stream<Path> threads = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path thread : threads.toList()) {
                String line = read(thread.resolve("stat"));
                if (line != null) {
                    String name = line.substring(line.indexOf('(') + 1, line.lastIndexOf(')')).replaceAll("[-#]?\\d+$", "");
                    long[] stat = fields(line);
                    byKind.merge(name, (stat[1] + stat[2]) / TICKS_PER_SECOND, Double::sum);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return byKind;
    }

    /** ppid, utime, stime, cutime, cstime; null when the process is gone. */
    private static long[] stat(long pid) {
        String line = read(Path.of("/proc", Long.toString(pid), "stat"));
        return line == null ? null : fields(line);
    }

    private static String read(Path stat) {
        try {
            return Files.readString(stat);
        } catch (IOException gone) {
            return null;
        }
    }

    private static long[] fields(String line) {
        // The command name, in parentheses, may hold spaces: the fields that follow start after its last ')'.
        String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[1]), Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]),
            Long.parseLong(f[14])};
    }
}
