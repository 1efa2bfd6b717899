package io.hypernetes.api.schema;

/**
 * Where a property travels in Kubernetes' protobuf encoding, from its {@code x-protobuf} extension
 * (the file's header says what each key means).
 *
 * @param number the field number in the message of the enclosing type
 * @param inline 0, or the number of the nested message that carries this field because Go inlines its struct
 *     in JSON but not in protobuf (Volume's volumeSource, Probe's handler)
 * @param keepZero a zero value on the wire is set (a Go pointer, or JSON never omits the field) rather than unset
 * @param wrapped a list carried as a nested message whose field 1 repeats the items (metav1.Verbs)
 */
public record ProtobufField(int number, int inline, boolean keepZero, boolean wrapped) {}
