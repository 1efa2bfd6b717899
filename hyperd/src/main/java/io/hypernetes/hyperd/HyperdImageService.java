package io.hypernetes.hyperd;

import static io.hypernetes.runtime.Runtimes.answer;
import static io.hypernetes.runtime.Runtimes.invalid;
import static io.hypernetes.runtime.Runtimes.requiredImage;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.hypernetes.image.Credentials;
import io.hypernetes.image.ImageException;
import io.hypernetes.image.ImageReference;
import io.hypernetes.image.ImageStore;
import io.hypernetes.runtime.v1.Image;
import io.hypernetes.runtime.v1.ImageServiceGrpc;
import io.hypernetes.runtime.v1.ImageSpec;
import io.hypernetes.runtime.v1.ImageStatusRequest;
import io.hypernetes.runtime.v1.ImageStatusResponse;
import io.hypernetes.runtime.v1.ListImagesRequest;
import io.hypernetes.runtime.v1.ListImagesResponse;
import io.hypernetes.runtime.v1.PullImageRequest;
import io.hypernetes.runtime.v1.PullImageResponse;
import io.hypernetes.runtime.v1.RemoveImageRequest;
import io.hypernetes.runtime.v1.RemoveImageResponse;

/**
 * hyperd's {@code ImageService} over the node's {@link ImageStore}. A pull also builds the image's root filesystem
 * disk, so that creating a container — on the pod's start path — only attaches it.
 */
final class HyperdImageService extends ImageServiceGrpc.ImageServiceImplBase {
    private final ImageStore store;

    HyperdImageService(ImageStore store) {
        this.store = store;
    }

    static StatusRuntimeException status(String image, ImageException e) {
        Status code = switch (e.reason()) {
            case INVALID -> Status.INVALID_ARGUMENT;
            case NOT_FOUND -> Status.NOT_FOUND;
            case UNAUTHORIZED -> Status.PERMISSION_DENIED;
            case UNAVAILABLE -> Status.UNAVAILABLE;
            case CORRUPT -> Status.DATA_LOSS;
            case UNSUPPORTED -> Status.UNIMPLEMENTED;
            case INTERNAL -> Status.INTERNAL;
        };
        return code.withDescription("failed to pull image \"" + image + "\": " + e.getMessage()).asRuntimeException();
    }

    private static Image view(io.hypernetes.image.Image image) {
        return Image.newBuilder().setId(image.id()).addAllRepoTags(image.repoTags()).addAllRepoDigests(image.repoDigests())
                .setSize(image.size()).build();
    }

    @Override
    public void pullImage(PullImageRequest request, StreamObserver<PullImageResponse> out) {
        answer(out, () -> {
            String image = requiredImage(request.hasImage(), request.getImage(), "image");
            try {
                ImageReference.parse(image);
            } catch (IllegalArgumentException e) {
                throw invalid("image.image " + e.getMessage());
            }
            Credentials credentials = request.getAuth().getUsername().isEmpty() && request.getAuth().getPassword().isEmpty()
                    ? Credentials.ANONYMOUS : new Credentials(request.getAuth().getUsername(), request.getAuth().getPassword());
            try {
                io.hypernetes.image.Image pulled = store.pull(image, credentials);
                store.rootfs(pulled);
                return PullImageResponse.newBuilder().setImageRef(pulled.id()).build();
            } catch (ImageException e) {
                throw status(image, e);
            }
        });
    }

    @Override
    public void imageStatus(ImageStatusRequest request, StreamObserver<ImageStatusResponse> out) {
        answer(out, () -> {
            String image = requiredImage(request.hasImage(), request.getImage(), "image");
            ImageStatusResponse.Builder response = ImageStatusResponse.newBuilder();
            store.find(image).ifPresent(i -> response.setImage(view(i)));
            return response.build();
        });
    }

    @Override
    public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> out) {
        answer(out, () -> {
            ListImagesResponse.Builder list = ListImagesResponse.newBuilder();
            String filter = request.getFilter().getImage();
            if (filter.isEmpty()) {
                store.list().forEach(i -> list.addImages(view(i)));
            } else {
                store.find(filter).ifPresent(i -> list.addImages(view(i)));
            }
            return list.build();
        });
    }

    @Override
    public void removeImage(RemoveImageRequest request, StreamObserver<RemoveImageResponse> out) {
        answer(out, () -> {
            store.remove(requiredImage(request.hasImage(), request.getImage(), "image"));
            return RemoveImageResponse.getDefaultInstance();
        });
    }
}
