/* model_cnn.h - the MNIST CNN of shared/assets/mnist as a model_net.
 *
 * Architecture (PyTorch, eval mode), from mnist_cnn.safetensors:
 *   conv1 1->8 k3, ReLU; conv2 8->16 k3, ReLU; conv3 16->24 k3, ReLU;
 *   BatchNorm2d(24) (running stats, eps 1e-5); flatten NCHW (24*22*22 = 11616);
 *   fc1 11616->32, ReLU; fc2 32->10; BatchNorm1d(10).
 * Valid convolutions, stride 1, no padding: 28 -> 26 -> 24 -> 22.
 *
 * Blocks (activations are one row per image, NCHW flattened):
 *   0 conv1+ReLU          784  -> 5408  (8x26x26)
 *   1 conv2+ReLU          5408 -> 9216  (16x24x24)
 *   2 conv3+ReLU+BN2d     9216 -> 11616 (24x22x22)
 *   3 fc1+ReLU            11616 -> 32
 *   4 fc2+BN1d            32   -> 10
 * FLOPs per image count a multiply-add as 2, a bias add, a ReLU compare and
 * each of the BatchNorm's fused multiply and add as 1. n_params counts every
 * stored float of the block, BatchNorm running statistics included (they
 * occupy memory on the serving node).
 *
 * embed (client side): raw (n, 784) floats holding pixel values 0..255 ->
 * (p/255 - 0.1307)/0.3081, the normalisation the network was trained with.
 * head (client side): identity copy of the 10 BatchNorm1d outputs, which are
 * the class scores (argmax = predicted digit; no softmax is applied).
 * Stateless: model_state_create gives NULL. Convolutions are im2col + sgemm,
 * linear layers sgemm, so results depend on OpenBLAS's kernel and thread
 * count (run it single-threaded for reproducible bits).
 */
#ifndef MODEL_CNN_H
#define MODEL_CNN_H

#include <stddef.h>

#include "model_net.h"

#define MODEL_CNN_N_BLOCKS 5
#define MODEL_CNN_IMAGE_ELEMS 784
#define MODEL_CNN_N_CLASSES 10

/* Loads the CNN from a safetensors file. Every expected tensor must be
 * present with its exact shape and a floating dtype, no other tensor may be
 * present (a typo in a name must not leave a layer silently zeroed), and all
 * values must be finite (SS_ENUMERIC otherwise). *out is NULL on failure;
 * err names the file and tensor. */
ss_status model_cnn_load(const char *path, model_net **out, char *err, size_t errlen);

#endif
