package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceTypes;

/**
 * Deployments, as Kubernetes' apps/v1 deployment strategy: besides spec changes, a change of annotations is a new
 * generation too, because the deployment controller copies annotations to the ReplicaSets it makes.
 */
final class DeploymentStrategy extends Strategy {
    DeploymentStrategy() {
        super(ResourceTypes.DEPLOYMENTS);
    }

    @Override
    boolean newGeneration(ObjectNode updated, ObjectNode old) {
        return super.newGeneration(updated, old)
                || !updated.path("metadata").path("annotations").equals(old.path("metadata").path("annotations"));
    }
}
