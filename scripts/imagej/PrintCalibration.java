// Headless ImageJ check of scripts/check_imagej.sh: opens each TIFF listed (one path a line) in the file given as
// the argument with ImageJ's own opener (IJ.openImage, no GUI: Debian's ImageJ cannot run `open()` in a headless
// -batch macro, it builds menus) and prints one tab-separated line per image:
//   path  width  height  channels  slices  frames  pixelWidth  pixelHeight  pixelDepth  unit  frameInterval  min  max
import ij.IJ;
import ij.ImagePlus;
import ij.measure.Calibration;
import java.nio.file.Files;
import java.nio.file.Paths;

public class PrintCalibration {
    public static void main(String[] args) throws Exception {
        System.out.println("ImageJ\t" + IJ.getVersion());
        for (String line : Files.readAllLines(Paths.get(args[0]))) {
            String path = line.trim();
            if (path.isEmpty()) continue;
            ImagePlus imp = IJ.openImage(path);
            if (imp == null) { System.out.println(path + "\tnot opened"); continue; }
            Calibration c = imp.getCalibration();
            System.out.println(path + "\t" + imp.getWidth() + "\t" + imp.getHeight() + "\t" + imp.getNChannels() + "\t"
                + imp.getNSlices() + "\t" + imp.getNFrames() + "\t" + c.pixelWidth + "\t" + c.pixelHeight + "\t"
                + c.pixelDepth + "\t" + c.getUnit() + "\t" + c.frameInterval + " " + c.getTimeUnit() + "\t"
                + imp.getDisplayRangeMin() + "\t" + imp.getDisplayRangeMax());
            imp.close();
        }
    }
}
