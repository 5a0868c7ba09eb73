package io.sagawarden.saga;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.sagawarden.problem.FieldError;
import io.sagawarden.problem.ProblemException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Checks a parsed submission against the limits. Bad values answer 400; well-formed requests that are not
 * allowed (allow-list, duplicate step names, templates naming unknown or later steps) answer 422.
 */
public final class SagaRequestValidator {

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
    static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9._/-]{1,100}");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}");
    /** Headers the orchestrator sets itself, or that belong to the transport. */
    private static final Set<String> RESERVED_HEADERS = Set.of("idempotency-key", "saga-id", "saga-step",
            "saga-attempt", "saga-fencing-tokens", "host", "content-length", "transfer-encoding", "connection",
            "upgrade", "expect", "traceparent", "tracestate");
    private static final int MAX_URL_LENGTH = 2048;
    /** Stands in for a step response at submission, when it does not exist yet. */
    private static final JsonNode NOT_YET_KNOWN = JsonNodeFactory.instance.textNode("placeholder");

    private final SagaLimits limits;
    private final Predicate<URI> allowList;
    private final Predicate<String> secretExists;
    private final Predicate<URI> reachesThisService;

    /** A validator without secrets: every {@code {{secrets.<name>}}} names nothing. */
    public SagaRequestValidator(SagaLimits limits, Predicate<URI> allowList) {
        this(limits, allowList, name -> false, url -> false);
    }

    /**
     * @param secretExists       whether {@code {{secrets.<name>}}} names a configured secret
     * @param reachesThisService whether a URL would call this service itself (refused whatever the allow-list says)
     */
    public SagaRequestValidator(SagaLimits limits, Predicate<URI> allowList, Predicate<String> secretExists,
                                Predicate<URI> reachesThisService) {
        this.limits = limits;
        this.allowList = allowList;
        this.secretExists = secretExists;
        this.reachesThisService = reachesThisService;
    }

    public void validate(SagaRequest request) {
        Findings findings = new Findings();
        if (request == null) {
            findings.bad("", "a saga object is required");
            findings.throwIfAny();
        }
        checkName(findings, "type", request.type());
        if (request.priority() != null
                && (request.priority() < limits.minPriority() || request.priority() > limits.maxPriority())) {
            findings.bad("priority", "must be between " + limits.minPriority() + " and " + limits.maxPriority());
        }
        checkDuration(findings, "timeout", request.timeout());
        checkDuration(findings, "lockTimeout", request.lockTimeout());
        checkLabels(findings, request.labels());
        checkSteps(findings, request);
        findings.throwIfAny();
    }

    private void checkSteps(Findings findings, SagaRequest request) {
        List<SagaRequest.Step> steps = request.steps();
        if (steps == null || steps.isEmpty()) {
            findings.bad("steps", "at least one step is required");
            return;
        }
        if (steps.size() > limits.maxSteps()) {
            findings.bad("steps", "at most " + limits.maxSteps() + " steps are allowed");
            return;
        }
        List<String> names = steps.stream().map(s -> s == null ? null : s.name()).toList();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < steps.size(); i++) {
            String at = "steps[" + i + "]";
            SagaRequest.Step step = steps.get(i);
            if (step == null) {
                findings.bad(at, "must be a step object");
                continue;
            }
            if (checkName(findings, at + ".name", step.name()) && !seen.add(step.name())) {
                findings.notAllowed(at + ".name", "duplicate step name '" + step.name() + "'");
            }
            checkLocks(findings, at, step.locks());
            if (step.action() == null) {
                findings.bad(at + ".action", "is required");
            } else {
                checkCall(findings, at + ".action", step.action(), request.payload(), names, i - 1);
            }
            if (step.compensation() != null) {
                checkCall(findings, at + ".compensation", step.compensation(), request.payload(), names, i);
            }
            checkRetry(findings, at + ".retry", step.retry());
        }
    }

    private void checkLocks(Findings findings, String at, List<SagaRequest.Lock> locks) {
        if (locks == null) {
            return;
        }
        if (locks.size() > limits.maxLocksPerStep()) {
            findings.bad(at + ".locks", "at most " + limits.maxLocksPerStep() + " locks per step are allowed");
            return;
        }
        Set<String> resources = new HashSet<>();
        for (int j = 0; j < locks.size(); j++) {
            String lockAt = at + ".locks[" + j + "]";
            SagaRequest.Lock lock = locks.get(j);
            if (lock == null) {
                findings.bad(lockAt, "must be a lock object");
                continue;
            }
            String resource = lock.resource();
            if (resource == null || resource.isBlank()) {
                findings.bad(lockAt + ".resource", "is required");
            } else if (resource.length() > limits.maxResourceKeyLength()) {
                findings.bad(lockAt + ".resource", "must be at most " + limits.maxResourceKeyLength() + " characters");
            } else if (resource.chars().anyMatch(Character::isISOControl)) {
                findings.bad(lockAt + ".resource", "must not contain control characters");
            } else if (!resources.add(resource)) {
                findings.notAllowed(lockAt + ".resource", "resource '" + resource + "' is already locked by this step");
            }
            if (lock.mode() == null) {
                findings.bad(lockAt + ".mode", "is required (SHARED, UPDATE or EXCLUSIVE)");
            }
        }
    }

    /** {@code lastVisibleStep}: the highest step index whose response this call may use. */
    private void checkCall(Findings findings, String at, SagaRequest.HttpCall call, JsonNode payload,
                           List<String> names, int lastVisibleStep) {
        if (call.method() == null) {
            findings.bad(at + ".method", "is required (GET, POST, PUT, PATCH or DELETE)");
        }
        checkDuration(findings, at + ".timeout", call.timeout());
        boolean templatesOk = checkTemplates(findings, at + ".url", call.url(), payload, names, lastVisibleStep, false);
        if (call.headers() != null) {
            if (call.headers().size() > limits.maxHeaders()) {
                findings.bad(at + ".headers", "at most " + limits.maxHeaders() + " headers are allowed");
            }
            call.headers().forEach((name, value) -> checkHeader(findings, at + ".headers." + name, name, value,
                    payload, names, lastVisibleStep));
        }
        checkBodyTemplates(findings, at + ".body", call.body(), payload, names, lastVisibleStep);
        if (call.url() == null || call.url().isBlank()) {
            findings.bad(at + ".url", "is required");
        } else if (call.url().length() > MAX_URL_LENGTH) {
            findings.bad(at + ".url", "must be at most " + MAX_URL_LENGTH + " characters");
        } else if (templatesOk) {
            checkUrl(findings, at + ".url", submissionRenderer(payload, names).renderUrl(call.url()));
        }
    }

    private void checkUrl(Findings findings, String at, String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            findings.bad(at, "is not a valid URL: " + e.getReason());
            return;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            findings.bad(at, "must be an absolute http or https URL");
        } else if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            findings.bad(at, "must not contain user information or a fragment");
        } else if (reachesThisService.test(uri)) {
            findings.notAllowed(at, "reaches this service's own API or management port; a saga never calls the orchestrator");
        } else if (!allowList.test(uri)) {
            findings.notAllowed(at, "is outside the participant allow-list (saga.participants.allowed-urls)");
        }
    }

    private void checkHeader(Findings findings, String at, String name, String value, JsonNode payload,
                             List<String> names, int lastVisibleStep) {
        if (!HEADER_NAME.matcher(name).matches()) {
            findings.bad(at, "is not a valid header name");
        } else if (RESERVED_HEADERS.contains(name.toLowerCase())) {
            findings.notAllowed(at, "is set by the orchestrator and cannot be overridden");
        } else if (value == null) {
            findings.bad(at, "must be a string");
        } else if (hasControlCharacters(value)) {
            findings.bad(at, "must not contain line breaks or other control characters");
        } else if (checkTemplates(findings, at, value, payload, names, lastVisibleStep, true)
                && hasControlCharacters(submissionRenderer(payload, names).renderText(value))) {
            // What the payload puts into a header is known now: a line break there would only fail at call time.
            findings.bad(at, "would hold a line break or another control character once the payload is filled in");
        }
    }

    private static boolean hasControlCharacters(String value) {
        return value.chars().anyMatch(c -> c != '\t' && Character.isISOControl(c));
    }

    private void checkBodyTemplates(Findings findings, String at, JsonNode body, JsonNode payload,
                                    List<String> names, int lastVisibleStep) {
        if (body == null) {
            return;
        }
        if (body.isTextual()) {
            checkTemplates(findings, at, body.asText(), payload, names, lastVisibleStep, false);
        } else if (body.isObject()) {
            body.properties().forEach(e -> checkBodyTemplates(findings, at + "." + e.getKey(), e.getValue(),
                    payload, names, lastVisibleStep));
        } else if (body.isArray()) {
            for (int k = 0; k < body.size(); k++) {
                checkBodyTemplates(findings, at + "[" + k + "]", body.get(k), payload, names, lastVisibleStep);
            }
        }
    }

    /** True when every template in {@code text} is usable by this call; secrets only in a header value. */
    private boolean checkTemplates(Findings findings, String at, String text, JsonNode payload,
                                   List<String> names, int lastVisibleStep, boolean headerValue) {
        boolean ok = true;
        for (Template.Parsed parsed : Template.findAll(text, names)) {
            String shown = "template {{" + parsed.expression() + "}} ";
            if (!parsed.ok()) {
                findings.add(parsed.unknownStep(), at, shown + parsed.problem());
                ok = false;
                continue;
            }
            Template t = parsed.template();
            if (t.source() == Template.Source.SECRET) {
                String problem = !headerValue ? "may only be used in a header value, so that a secret never lands in "
                        + "a URL or a body a participant might echo"
                        : !secretExists.test(t.secretName()) ? "names no configured secret (saga.secrets." + t.secretName() + ")"
                        : null;
                if (problem != null) {
                    findings.notAllowed(at, shown + problem);
                    ok = false;
                }
            } else if (t.source() == Template.Source.PAYLOAD) {
                if (TemplateRenderer.at(payload, t.path()).isEmpty()) {
                    findings.notAllowed(at, shown + "names a value the payload does not have");
                    ok = false;
                }
            } else if (names.indexOf(t.stepName()) > lastVisibleStep) {
                findings.notAllowed(at, shown + "names step '" + t.stepName() + "', which has not run yet at this point");
                ok = false;
            }
        }
        return ok;
    }

    /** Fills payload templates; what only a later reply can tell is a placeholder. */
    private static TemplateRenderer submissionRenderer(JsonNode payload, List<String> names) {
        return new TemplateRenderer(names, t -> t.source() == Template.Source.PAYLOAD
                ? TemplateRenderer.at(payload, t.path())
                : Optional.of(NOT_YET_KNOWN));
    }

    private void checkRetry(Findings findings, String at, SagaRequest.Retry retry) {
        if (retry == null) {
            return;
        }
        if (retry.maxAttempts() != null && (retry.maxAttempts() < 1 || retry.maxAttempts() > limits.maxAttempts())) {
            findings.bad(at + ".maxAttempts", "must be between 1 and " + limits.maxAttempts());
        }
        checkDuration(findings, at + ".initialBackoff", retry.initialBackoff());
        checkDuration(findings, at + ".maxBackoff", retry.maxBackoff());
        if (retry.multiplier() != null
                && !(retry.multiplier() >= 1.0 && retry.multiplier() <= limits.maxMultiplier())) {
            findings.bad(at + ".multiplier", "must be between 1.0 and " + limits.maxMultiplier());
        }
        if (retry.initialBackoff() != null && retry.maxBackoff() != null
                && retry.maxBackoff().compareTo(retry.initialBackoff()) < 0) {
            findings.bad(at + ".maxBackoff", "must not be shorter than initialBackoff");
        }
    }

    private void checkLabels(Findings findings, Map<String, String> labels) {
        if (labels == null) {
            return;
        }
        if (labels.size() > limits.maxLabels()) {
            findings.bad("labels", "at most " + limits.maxLabels() + " labels are allowed");
            return;
        }
        labels.forEach((key, value) -> {
            if (!LABEL_KEY.matcher(key).matches()) {
                findings.bad("labels." + key, "label keys must match " + LABEL_KEY.pattern());
            } else if (value == null) {
                findings.bad("labels." + key, "must be a string");
            } else if (value.length() > limits.maxLabelValueLength()) {
                findings.bad("labels." + key, "must be at most " + limits.maxLabelValueLength() + " characters");
            }
        });
    }

    private void checkDuration(Findings findings, String field, Duration value) {
        if (value != null && (value.compareTo(limits.minDuration()) < 0 || value.compareTo(limits.maxDuration()) > 0)) {
            findings.bad(field, "must be between " + limits.minDuration() + " and " + limits.maxDuration());
        }
    }

    private static boolean checkName(Findings findings, String field, String value) {
        if (value == null || value.isEmpty()) {
            findings.bad(field, "is required");
            return false;
        }
        if (!NAME.matcher(value).matches()) {
            findings.bad(field, "must match " + NAME.pattern());
            return false;
        }
        return true;
    }

    /** What was found wrong, kept apart by the answer it calls for. */
    private static final class Findings {
        private final List<FieldError> bad = new ArrayList<>();
        private final List<FieldError> notAllowed = new ArrayList<>();

        void bad(String field, String message) {
            bad.add(new FieldError(field, message));
        }

        void notAllowed(String field, String message) {
            notAllowed.add(new FieldError(field, message));
        }

        void add(boolean isNotAllowed, String field, String message) {
            (isNotAllowed ? notAllowed : bad).add(new FieldError(field, message));
        }

        void throwIfAny() {
            if (!bad.isEmpty()) {
                throw new ProblemException.BadRequest(summary(bad), bad);
            }
            if (!notAllowed.isEmpty()) {
                throw new ProblemException.Unprocessable(summary(notAllowed), notAllowed);
            }
        }

        private static String summary(List<FieldError> errors) {
            Set<String> fields = new TreeSet<>();
            errors.forEach(e -> fields.add(e.field()));
            return errors.size() == 1
                    ? errors.getFirst().field() + " " + errors.getFirst().message()
                    : errors.size() + " problems in " + String.join(", ", fields);
        }
    }
}
