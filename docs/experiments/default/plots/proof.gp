set terminal svg size 1100,460 dynamic noenhanced font 'Helvetica,12' background rgb 'white'
set grid lc rgb '#dddddd'
set key top left box opaque
set border lc rgb '#555555'
set title 'CPU saved per request by io_uring over blocking: measured vs predicted by the agent'
set key below
set ylabel 'µs per request (median, bars: min…max)'
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set bmargin 6
set xtics noenhanced
set xzeroaxis lt 1 lc rgb '#555555'
plot 'plots/proof.dat' using 2:3:4:xtic(1) title 'actual (blocking − io_uring, no agent)' lc rgb '#444444', \
     '' using 5:6:7 title 'predicted (iotaxd on the blocking server)' lc rgb '#ff7f0e'
