// See include/sn_tiff.h.
#include "sn_tiff.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char sn_thread_messages[SN_TIFF_MESSAGE_CAPACITY];

/// Appends "module: formatted message" to `buffer` (capacity SN_TIFF_MESSAGE_CAPACITY), joining
/// with "; " and replacing line breaks by spaces so that the result stays one line.
static void sn_append(char *buffer, const char *module, const char *fmt, va_list ap) {
    char line[512];
    int used = 0;
    if (module != NULL && module[0] != '\0') {
        used = snprintf(line, sizeof line, "%s: ", module);
        if (used < 0 || (size_t)used >= sizeof line) used = 0;
    }
    vsnprintf(line + used, sizeof line - (size_t)used, fmt, ap);
    for (char *c = line; *c; c++) {
        if (*c == '\n' || *c == '\r' || *c == '\t') *c = ' ';
    }
    size_t length = strlen(buffer);
    if (length + 4 >= SN_TIFF_MESSAGE_CAPACITY) return;  // full: keep the first messages
    if (length > 0) {
        strcpy(buffer + length, "; ");
        length += 2;
    }
    snprintf(buffer + length, SN_TIFF_MESSAGE_CAPACITY - length, "%s", line);
}

static int sn_file_error(TIFF *tif, void *user_data, const char *module, const char *fmt,
                         va_list ap) {
    (void)tif;
    sn_tiff_messages *messages = (sn_tiff_messages *)user_data;
    if (messages != NULL) {
        messages->error_count += 1;
        sn_append(messages->errors, module, fmt, ap);
    }
    return 1;  // handled: do not call the process-wide handlers (which would print)
}

static int sn_file_warning(TIFF *tif, void *user_data, const char *module, const char *fmt,
                           va_list ap) {
    (void)tif;
    sn_tiff_messages *messages = (sn_tiff_messages *)user_data;
    if (messages != NULL) {
        messages->warning_count += 1;
        sn_append(messages->warnings, module, fmt, ap);
    }
    return 1;  // handled: never printed
}

static void sn_global_error(const char *module, const char *fmt, va_list ap) {
    sn_append(sn_thread_messages, module, fmt, ap);
}

static void sn_global_warning(const char *module, const char *fmt, va_list ap) {
    (void)module; (void)fmt; (void)ap;
}

static pthread_once_t sn_handlers_once = PTHREAD_ONCE_INIT;

static void sn_install_global_handlers(void) {
    TIFFSetErrorHandler(sn_global_error);
    TIFFSetWarningHandler(sn_global_warning);
    TIFFSetErrorHandlerExt(NULL);
    TIFFSetWarningHandlerExt(NULL);
}

void sn_tiff_clear_messages(sn_tiff_messages *messages) {
    if (messages != NULL) {
        messages->errors[0] = '\0';
        messages->warnings[0] = '\0';
        messages->error_count = 0;
        messages->warning_count = 0;
    }
    sn_thread_messages[0] = '\0';
}

const char *sn_tiff_thread_messages(void) { return sn_thread_messages; }

TIFF *sn_tiff_open(const char *path, const char *mode, sn_tiff_messages *messages,
                   int64_t max_single_alloc) {
    pthread_once(&sn_handlers_once, sn_install_global_handlers);
    sn_tiff_clear_messages(messages);
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (options == NULL) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(options, sn_file_error, messages);
    TIFFOpenOptionsSetWarningHandlerExtR(options, sn_file_warning, messages);
    if (max_single_alloc > 0) TIFFOpenOptionsSetMaxSingleMemAlloc(options, (tmsize_t)max_single_alloc);
    TIFF *tif = TIFFOpenExt(path, mode, options);
    TIFFOpenOptionsFree(options);
    return tif;
}

int sn_tiff_page_info(TIFF *tif, sn_tiff_page *page) {
    memset(page, 0, sizeof *page);
    uint32_t u32 = 0;
    uint16_t u16 = 0;
    if (TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &u32) != 1) return 0;
    page->width = u32;
    if (TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &u32) != 1) return 0;
    page->height = u32;
    page->depth = 1;
    if (TIFFGetField(tif, TIFFTAG_IMAGEDEPTH, &u32) == 1) page->depth = u32;
    page->bits_per_sample = 1;
    if (TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &u16) == 1) page->bits_per_sample = u16;
    page->samples_per_pixel = 1;
    if (TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &u16) == 1) page->samples_per_pixel = u16;
    page->sample_format = SAMPLEFORMAT_UINT;
    if (TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &u16) == 1) page->sample_format = u16;
    if (TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &u16) == 1) {
        page->photometric = u16;
        page->has_photometric = 1;
    }
    page->planar_config = PLANARCONFIG_CONTIG;
    if (TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &u16) == 1) page->planar_config = u16;
    page->compression = COMPRESSION_NONE;
    if (TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &u16) == 1) page->compression = u16;
    page->predictor = PREDICTOR_NONE;
    if (page->compression != COMPRESSION_NONE &&
        TIFFGetFieldDefaulted(tif, TIFFTAG_PREDICTOR, &u16) == 1) page->predictor = u16;
    uint16_t *red = NULL, *green = NULL, *blue = NULL;
    page->has_colormap = TIFFGetField(tif, TIFFTAG_COLORMAP, &red, &green, &blue) == 1 ? 1 : 0;
    page->is_tiled = TIFFIsTiled(tif) ? 1 : 0;
    if (page->is_tiled) {
        if (TIFFGetField(tif, TIFFTAG_TILEWIDTH, &u32) != 1) return 0;
        page->tile_width = u32;
        if (TIFFGetField(tif, TIFFTAG_TILELENGTH, &u32) != 1) return 0;
        page->tile_length = u32;
        page->strile_count = TIFFNumberOfTiles(tif);
    } else {
        page->rows_per_strip = UINT32_MAX;
        if (TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &u32) == 1) page->rows_per_strip = u32;
        page->strile_count = TIFFNumberOfStrips(tif);
    }
    page->directory_offset = TIFFCurrentDirOffset(tif);
    float resolution = 0;
    page->x_resolution = 0;
    page->y_resolution = 0;
    if (TIFFGetField(tif, TIFFTAG_XRESOLUTION, &resolution) == 1) page->x_resolution = resolution;
    if (TIFFGetField(tif, TIFFTAG_YRESOLUTION, &resolution) == 1) page->y_resolution = resolution;
    page->resolution_unit = RESUNIT_INCH;
    if (TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &u16) == 1) page->resolution_unit = u16;
    return 1;
}

const char *sn_tiff_image_description(TIFF *tif) {
    char *text = NULL;
    if (TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &text) == 1) return text;
    return NULL;
}

int sn_tiff_set_page_tags(TIFF *tif, uint32_t width, uint32_t height, uint16_t bits_per_sample,
                          uint16_t sample_format, uint16_t compression, uint16_t predictor,
                          uint32_t rows_per_strip, const char *description, const char *software,
                          uint16_t page_number, uint16_t page_count) {
    int ok = 1;
    ok &= TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, width);
    ok &= TIFFSetField(tif, TIFFTAG_IMAGELENGTH, height);
    ok &= TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, bits_per_sample);
    ok &= TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
    ok &= TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, sample_format);
    ok &= TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    ok &= TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    ok &= TIFFSetField(tif, TIFFTAG_COMPRESSION, compression);
    if (compression != COMPRESSION_NONE && predictor != PREDICTOR_NONE) {
        ok &= TIFFSetField(tif, TIFFTAG_PREDICTOR, predictor);
    }
    ok &= TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rows_per_strip);
    if (page_count > 1) ok &= TIFFSetField(tif, TIFFTAG_PAGENUMBER, page_number, page_count);
    if (description != NULL) ok &= TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, description);
    if (software != NULL) ok &= TIFFSetField(tif, TIFFTAG_SOFTWARE, software);
    return ok ? 1 : 0;
}

int sn_tiff_set_resolution(TIFF *tif, double x_resolution, double y_resolution, uint16_t unit) {
    int ok = 1;
    ok &= TIFFSetField(tif, TIFFTAG_XRESOLUTION, x_resolution);
    ok &= TIFFSetField(tif, TIFFTAG_YRESOLUTION, y_resolution);
    ok &= TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, unit);
    return ok ? 1 : 0;
}
