#ifndef SALIENCYNET_SN_TIFF_H
#define SALIENCYNET_SN_TIFF_H
// Small C helpers around libtiff for MicroscopyIO.
//
// Swift cannot call C variadic functions (TIFFGetField/TIFFSetField) nor implement libtiff's
// va_list error handlers, so this file provides: opening a file with per-file error and warning
// handlers that collect the messages into a buffer (instead of printing them on stderr), a
// process-wide fallback handler that collects stray messages into a thread-local buffer, and
// non-variadic getters/setters for the handful of tags MicroscopyIO needs.
#include <stddef.h>
#include <stdint.h>
#include <tiffio.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Size of the message buffer of `sn_tiff_messages`.
#define SN_TIFF_MESSAGE_CAPACITY 1024

/// Messages that libtiff reported for one open file, each kind joined with "; ".
/// (libtiff reports some damage as warnings, e.g. "IO error during reading of ...; tag ignored"
/// when a tag's data lies beyond the end of a truncated file.)
typedef struct sn_tiff_messages {
    char errors[SN_TIFF_MESSAGE_CAPACITY];
    char warnings[SN_TIFF_MESSAGE_CAPACITY];
    int error_count;
    int warning_count;
} sn_tiff_messages;

/// Empties `messages` and the calling thread's fallback buffer.
void sn_tiff_clear_messages(sn_tiff_messages *messages);

/// Messages that reached libtiff's process-wide error handler on the calling thread since the last
/// `sn_tiff_clear_messages` (libtiff uses it for errors that happen outside a file handle).
const char *sn_tiff_thread_messages(void);

/// Opens `path` with `mode` ("r", "w" or "w8" for BigTIFF). Errors and warnings go into `messages`
/// (which must stay valid until TIFFClose) and never to stderr. `max_single_alloc` limits any
/// single allocation libtiff makes for this file (0: libtiff's default). Returns NULL on failure.
TIFF *sn_tiff_open(const char *path, const char *mode, sn_tiff_messages *messages,
                   int64_t max_single_alloc);

/// The tags of the current directory (page) that MicroscopyIO looks at, with TIFF defaults applied.
typedef struct sn_tiff_page {
    uint32_t width;
    uint32_t height;
    uint32_t depth;              // ImageDepth (SGI volumetric extension); 1 when absent
    uint16_t bits_per_sample;
    uint16_t samples_per_pixel;
    uint16_t sample_format;      // 1 uint, 2 int, 3 IEEE float, 4 void, 5/6 complex
    uint16_t photometric;        // only meaningful when has_photometric != 0
    uint16_t has_photometric;
    uint16_t planar_config;
    uint16_t compression;
    uint16_t predictor;
    uint16_t is_tiled;
    uint16_t has_colormap;
    uint32_t tile_width;
    uint32_t tile_length;
    uint32_t rows_per_strip;
    uint32_t strile_count;       // number of strips, or of tiles when tiled
    uint64_t directory_offset;   // file offset of this directory (for TIFFSetSubDirectory)
    float x_resolution;          // XResolution (pixels per resolution unit); 0 when absent
    float y_resolution;          // YResolution; 0 when absent
    uint16_t resolution_unit;    // ResolutionUnit: 1 none, 2 inch (the TIFF default), 3 cm
} sn_tiff_page;

/// Fills `page` from the current directory. Returns 1 on success, 0 when a required tag is missing.
int sn_tiff_page_info(TIFF *tif, sn_tiff_page *page);

/// The current directory's ImageDescription, or NULL. Valid until the directory changes.
const char *sn_tiff_image_description(TIFF *tif);

/// Sets the tags of a new single-sample page for writing. `description` and `software` may be NULL.
/// `predictor` is 1 (none), 2 (horizontal) or 3 (floating point). Returns 1 on success.
int sn_tiff_set_page_tags(TIFF *tif, uint32_t width, uint32_t height, uint16_t bits_per_sample,
                          uint16_t sample_format, uint16_t compression, uint16_t predictor,
                          uint32_t rows_per_strip, const char *description, const char *software,
                          uint16_t page_number, uint16_t page_count);

/// Sets XResolution, YResolution (pixels per unit, > 0) and ResolutionUnit (1 none, 2 inch, 3 cm)
/// of the page being written. Returns 1 on success.
int sn_tiff_set_resolution(TIFF *tif, double x_resolution, double y_resolution, uint16_t unit);

#ifdef __cplusplus
}
#endif
#endif
