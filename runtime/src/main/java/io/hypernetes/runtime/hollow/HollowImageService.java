package io.hypernetes.runtime.hollow;

import static io.hypernetes.runtime.Runtimes.answer;
import static io.hypernetes.runtime.Runtimes.invalid;
import static io.hypernetes.runtime.Runtimes.requiredImage;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.hypernetes.image.ImageReference;
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
import java.util.function.Supplier;

/**
 * The hollow {@code ImageService}: a pull of a valid reference succeeds at once (nothing is downloaded), except of a
 * reference containing {@value #PULL_FAILS}, which fails as a registry answers for a missing manifest.
 */
final class HollowImageService extends ImageServiceGrpc.ImageServiceImplBase {
    static final String PULL_FAILS = "hollow-pull-fails";

    private final ImageStore store;

    HollowImageService(ImageStore store) {
        this.store = store;
    }

    @Override
    public void pullImage(PullImageRequest request, StreamObserver<PullImageResponse> out) {
        answer(out, () -> {
            String image = requiredImage(request.hasImage(), request.getImage(), "image");
            ImageReference reference;
            try {
                reference = ImageReference.parse(image);
            } catch (IllegalArgumentException e) {
                throw invalid("image.image " + e.getMessage());
            }
            if (image.contains(PULL_FAILS)) {
                throw Status.NOT_FOUND.withDescription("failed to pull image \"" + image + "\": " + reference.name()
                        + ": manifest unknown: manifest unknown (the hollow runtime fails every pull of \"" + PULL_FAILS + "\")")
                        .asRuntimeException();
            }
            return PullImageResponse.newBuilder().setImageRef(store.add(reference).getId()).build();
        });
    }

    @Override
    public void imageStatus(ImageStatusRequest request, StreamObserver<ImageStatusResponse> out) {
        answer(out, () -> {
            String image = requiredImage(request.hasImage(), request.getImage(), "image");
            ImageStatusResponse.Builder response = ImageStatusResponse.newBuilder();
            store.find(image).ifPresent(response::setImage);
            return response.build();
        });
    }

    @Override
    public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> out) {
        answer(out, () -> {
            ListImagesResponse.Builder list = ListImagesResponse.newBuilder();
            String filter = request.getFilter().getImage();
            if (filter.isEmpty()) {
                list.addAllImages(store.list());
            } else {
                store.find(filter).ifPresent(list::addImages);
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
