package io.sagawarden.saga;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Reading a submission's traceparent as W3C Trace Context level 1 says, and the header each call gets. */
class TraceParentTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    @Test
    void a_valid_header_names_its_trace_parent_span_and_flags() {
        assertThat(TraceParent.parse("00-" + TRACE + "-00f067aa0ba902b7-01"))
                .contains(new TraceParent(TRACE, "00f067aa0ba902b7", "01"));
        assertThat(TraceParent.parse(" 00-" + TRACE + "-00f067aa0ba902b7-00 "))
                .hasValueSatisfying(t -> assertThat(t.sampled()).isFalse());
    }

    @Test
    void headers_that_are_not_valid_are_ignored() {
        for (String header : new String[] {null, "", "garbage", "01-" + TRACE + "-00f067aa0ba902b7-01",
            "00-" + TRACE.toUpperCase() + "-00f067aa0ba902b7-01", "00-" + "0".repeat(32) + "-00f067aa0ba902b7-01",
            "00-" + TRACE + "-" + "0".repeat(16) + "-01", "00-" + TRACE + "-00f067aa0ba902b7-01-extra",
            "00-" + TRACE.substring(1) + "-00f067aa0ba902b7-01"}) {
            assertThat(TraceParent.parse(header)).as(header).isEmpty();
        }
    }

    @Test
    void a_saga_of_its_own_is_traced_by_its_id_under_itself_and_each_call_is_a_new_span() {
        UUID saga = UUID.fromString("6f1c2b9e-3d7a-4c15-9b8e-2f4a7c9d0e11");
        TraceParent own = TraceParent.ofSaga(saga);
        assertThat(own).isEqualTo(new TraceParent("6f1c2b9e3d7a4c159b8e2f4a7c9d0e11", "9b8e2f4a7c9d0e11", "01"));
        assertThat(TraceParent.fromStored(null, saga)).isEqualTo(own);
        TraceParent submitted = new TraceParent(TRACE, "00f067aa0ba902b7", "00");
        assertThat(TraceParent.fromStored(submitted.stored(), saga)).isEqualTo(submitted);
        assertThat(TraceParent.fromStored(TRACE + "-00", saga)).as("stored before parent spans were kept")
                .isEqualTo(new TraceParent(TRACE, "9b8e2f4a7c9d0e11", "00"));
        Set<String> spans = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String header = own.forCall();
            assertThat(header).matches("00-6f1c2b9e3d7a4c159b8e2f4a7c9d0e11-[0-9a-f]{16}-01").doesNotContain("-0000000000000000-");
            spans.add(header);
        }
        assertThat(spans).hasSize(1000);
    }
}
