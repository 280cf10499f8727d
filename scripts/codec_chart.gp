# gnuplot script for scripts/bench_codec.sh: ns/op per implementation, one
# panel per message (log scale: Large is ~100x Small).
set terminal pngcairo size 1500,500 font ",9"
set output outfile
set multiplot layout 1,3 title "Codec encode/decode time per message (ns, lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -45 nomirror
set logscale y
set grid ytics
set key top left
titles = "Small Medium Large"
do for [i=0:2] {
  set title word(titles, i + 1)
  plot datafile index i using 2:xtic(1) title "Encode", '' index i using 3 title "Decode"
}
unset multiplot
