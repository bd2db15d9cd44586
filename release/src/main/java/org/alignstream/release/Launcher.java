package org.alignstream.release;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.Map;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;

/**
 * The release's one entry point: {@code bin/alignstream COMMAND [ARGS...]} runs COMMAND's main class with ARGS, and
 * each {@code bin/COMMAND} script is {@code bin/alignstream COMMAND}. The commands are the pipeline's stages, named by
 * their modules ({@code generator-service} ...; main classes from {@link Pipeline#STAGES}), the front ends
 * ({@code gateway-service}, {@link Pipeline#FRONT_ENDS}), the client tools and the local run.
 */
public final class Launcher {

    /** The client tools and the local run, by command (the ops scripts' names without {@code .sh}). */
    private static final Map<String, String> TOOLS = Map.of(
            "align", "org.alignstream.clients.AlignClient",
            "feedback", "org.alignstream.clients.FeedbackClient",
            "dead-letters", "org.alignstream.clients.DeadLetterTool",
            "reward-models", "org.alignstream.clients.RewardModelTool",
            "access-control", "org.alignstream.clients.AccessControlCommand",
            "run-local", "org.alignstream.harness.RunLocal");

    private Launcher() {
    }

    /** Every command with its main class: the stages in flow order, the front ends, then the tools by name. */
    public static Map<String, String> commands() {
        Map<String, String> commands = new LinkedHashMap<>();
        for (StageSpec stage : Pipeline.STAGES) {
            commands.put(stage.module(), stage.mainClass());
        }
        for (StageSpec frontEnd : Pipeline.FRONT_ENDS) {
            commands.put(frontEnd.module(), frontEnd.mainClass());
        }
        TOOLS.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> commands.put(e.getKey(), e.getValue()));
        return commands;
    }

    public static void main(String[] args) throws Throwable {
        Map<String, String> commands = commands();
        if (args.length == 0 || !commands.containsKey(args[0])) {
            System.err.println((args.length == 0 ? "no command given" : "unknown command '" + args[0] + "'")
                    + "; usage: alignstream COMMAND [--help | ARGS...], COMMAND one of " + commands.keySet());
            System.exit(2);
        }
        String[] rest = new String[args.length - 1];
        System.arraycopy(args, 1, rest, 0, rest.length);
        Method main = Class.forName(commands.get(args[0])).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) rest);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
