package io.sagawarden.saga;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A row of {@code saga_events}: the append-only history of one saga. */
@Entity
@Table(name = "saga_events")
public class SagaEventEntity extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "saga_id")
    public UUID sagaId;
    public Instant at;
    public String kind;
    public String step;
    @JdbcTypeCode(SqlTypes.JSON)
    public String detail;
}
